/**
 * CSV (RFC 4180) for CSV_PARSE / CSV_WRITE: text ⇄ rows of string cells.
 *
 * Reading: fields are separated by `,`; records end at `\n`, `\r\n` (or a lone `\r`, which the
 * writer always quotes, so accepting it costs nothing); a quoted field may hold `,`, line
 * breaks and doubled quotes `""`; nothing is trimmed; a final line break does not make an
 * empty record; empty input is no records; an empty line is a record with one empty cell.
 * A quote inside an unquoted field, text after a closing quote, or an unclosed quote is a
 * CsvError naming the 1-based line.
 *
 * Writing: a cell is quoted iff it contains `,` `"` `\r` `\n` or starts or ends with
 * whitespace — and a row made of one empty cell is written `""` so it is not lost as a blank
 * line. Rows are joined by `\n` with no trailing newline. So csvParse(csvWrite(rows)) equals
 * rows for every rows whose rows each have at least one cell (a row with no cells has no CSV
 * form and reads back as one empty cell).
 */

export class CsvError extends Error {
  override name = "CsvError";
}

const CH_QUOTE = 0x22, CH_COMMA = 0x2c, CH_LF = 0x0a, CH_CR = 0x0d;

/** Parse CSV text into records of cells. */
export function csvParse(text: string): string[][] {
  const rows: string[][] = [];
  const n = text.length;
  let row: string[] = [];
  let line = 1;
  let i = 0;
  if (n === 0) return rows;
  for (;;) {
    // One field, starting at i.
    if (text.charCodeAt(i) === CH_QUOTE) {
      const startLine = line;
      const parts: string[] = [];
      let runStart = i + 1;
      for (;;) {
        const close = text.indexOf('"', runStart);
        if (close === -1) {
          throw new CsvError(`unterminated quoted field starting at line ${startLine}`);
        }
        line += countLineBreaks(text, runStart, close);
        parts.push(text.slice(runStart, close));
        if (text.charCodeAt(close + 1) === CH_QUOTE) {
          parts.push('"');
          runStart = close + 2;
          continue;
        }
        i = close + 1;
        break;
      }
      row.push(parts.length === 1 ? parts[0] : parts.join(""));
      const c = text.charCodeAt(i);
      if (i < n && c !== CH_COMMA && c !== CH_LF && c !== CH_CR) {
        throw new CsvError(`unexpected character after a closing quote at line ${line}`);
      }
    } else {
      const start = i;
      for (; i < n; i++) {
        const c = text.charCodeAt(i);
        if (c === CH_COMMA || c === CH_LF || c === CH_CR) break;
        if (c === CH_QUOTE) throw new CsvError(`quote inside an unquoted field at line ${line}`);
      }
      row.push(text.slice(start, i));
    }
    // After a field: end of input, a separator, or a record end.
    if (i >= n) {
      rows.push(row);
      return rows;
    }
    if (text.charCodeAt(i) === CH_COMMA) {
      i++;
      continue;
    }
    if (text.charCodeAt(i) === CH_CR) i++;
    if (text.charCodeAt(i) === CH_LF) i++;
    line++;
    rows.push(row);
    row = [];
    if (i >= n) return rows;
  }
}

/** Line breaks (`\n`, `\r\n` or a lone `\r`, each counted once) in text[from, to). */
function countLineBreaks(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === CH_LF) count++;
    else if (c === CH_CR && text.charCodeAt(i + 1) !== CH_LF) count++;
  }
  return count;
}

/** Write rows as CSV text: cells joined by `,`, rows by `\n`, quoting only where needed. */
export function csvWrite(rows: string[][]): string {
  const lines: string[] = new Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    lines[r] = row.length === 1 && row[0] === "" ? '""' : row.map(csvCell).join(",");
  }
  return lines.join("\n");
}

const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

function csvCell(cell: string): string {
  return NEEDS_QUOTES.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
}
