/**
 * CSV (RFC 4180): fields separated by `,`, records by `\n` or `\r\n`; a quoted field may hold
 * `,`, line breaks and doubled quotes. No trimming. A final line break does not make an empty
 * record; empty input is no records.
 */

export class CsvError extends Error {}

export function csvParse(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  let line = 1;
  const n = text.length;
  if (n === 0) return rows;
  for (;;) {
    // one field
    let field: string;
    if (text[i] === '"') {
      const startLine = line;
      const parts: string[] = [];
      i++;
      let run = i;
      for (;;) {
        if (i >= n) throw new CsvError(`unterminated quoted field starting at line ${startLine}`);
        const c = text[i];
        if (c === '"') {
          if (text[i + 1] === '"') {
            parts.push(text.slice(run, i + 1));
            i += 2;
            run = i;
            continue;
          }
          parts.push(text.slice(run, i));
          i++;
          break;
        }
        if (c === "\n") line++;
        i++;
      }
      field = parts.join("");
      if (i < n && text[i] !== "," && text[i] !== "\n" && text[i] !== "\r") {
        throw new CsvError(`unexpected character after a quoted field at line ${line}`);
      }
    } else {
      const start = i;
      while (i < n && text[i] !== "," && text[i] !== "\n" && text[i] !== "\r") {
        if (text[i] === '"') throw new CsvError(`quote inside an unquoted field at line ${line}`);
        i++;
      }
      field = text.slice(start, i);
    }
    row.push(field);
    if (i >= n) {
      rows.push(row);
      return rows;
    }
    if (text[i] === ",") {
      i++;
      continue;
    }
    // record end: \n or \r\n
    if (text[i] === "\r") i++;
    if (text[i] === "\n") i++;
    line++;
    rows.push(row);
    row = [];
    if (i >= n) return rows;
  }
}

export function csvWrite(rows: string[][]): string {
  return rows.map((r) => r.map(cell).join(",")).join("\n");
}

function cell(s: string): string {
  if (/[",\r\n]/.test(s) || /^\s|\s$/.test(s)) return `"${s.replaceAll('"', '""')}"`;
  return s;
}
