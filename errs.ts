for (const [h, p] of [["127.0.0.1", 1], ["nonexistent.invalid", 80], ["256.1.1.1", 80]] as const) {
  try {
    await Deno.connect({ hostname: h, port: p });
  } catch (e) {
    console.log(h, e.constructor.name, (e as Error).message);
  }
}
const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
try {
  Deno.listen({ hostname: "127.0.0.1", port: (l.addr as Deno.NetAddr).port });
} catch (e) {
  console.log("listen", e.constructor.name, (e as Error).message);
}
try {
  Deno.listen({ hostname: "1.2.3.4", port: 0 });
} catch (e) {
  console.log("listen", e.constructor.name, (e as Error).message);
}
try {
  await fetch("http://127.0.0.1:1/");
} catch (e) {
  console.log("fetch", e.constructor.name, (e as Error).message);
}
try {
  await fetch("not a url");
} catch (e) {
  console.log("fetch", e.constructor.name, (e as Error).message);
}
try {
  await fetch("http://nonexistent.invalid/");
} catch (e) {
  console.log("fetch", e.constructor.name, (e as Error).message);
}
const dns = await import("node:dns");
try {
  console.log(await dns.promises.lookup("localhost"));
} catch (e) {
  console.log("dns", (e as Error).message);
}
try {
  console.log(await dns.promises.lookup("nonexistent.invalid"));
} catch (e) {
  console.log("dns", e.constructor.name, (e as Error).message, (e as any).code);
}
const dgram = await import("node:dgram");
const s = dgram.createSocket("udp4");
s.bind(0, "127.0.0.1", () => {
  console.log("udp bound", s.address());
  s.close();
});
const sq = await import("node:sqlite");
const db = new sq.DatabaseSync(":memory:");
db.exec("create table t(a,b)");
console.log(db.prepare("insert into t values(?,?)").run(1, "x"));
console.log(db.prepare("select * from t").all());
l.close();
