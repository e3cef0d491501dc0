/**
 * The TypeScript API driving VM processes: a counter server written in .ttvm is started from
 * TypeScript, registered under a name, sent JavaScript objects, and replies into the host
 * mailbox, which is read as an async iterator.
 *
 *   deno run -A examples/api_counter.ts
 */
import { ActorVm } from "../mod.ts";

const SERVER = `
; counter: {op: "add", n} adds n; {op: "total", reply} sends {total} to reply.
LABEL counter
PUSH_INT 0
STORE total
LABEL loop
RECEIVE
STORE req
LOAD req
GET_FIELD op
PUSH_STR "add"
EQ
JZ total
LOAD total
LOAD req
GET_FIELD n
ADD
STORE total
JMP loop
LABEL total
LOAD req
GET_FIELD reply
MAKE_OBJECT
LOAD total
SET_FIELD total
SEND
JMP loop
`;

const vm = ActorVm.fromSource(SERVER, "counter.ttvm");
vm.register("counter", vm.spawn("counter"));
for (const n of [1, 2, 3, 2 ** 40]) vm.sendNamed("counter", { op: "add", n });
vm.sendNamed("counter", { op: "total", reply: vm.host.pid });
const finished = vm.run();
for await (const reply of vm.host) console.log("reply:", JSON.stringify(reply));
const summary = await finished;
console.log(
  `messages: ${summary.messagesSent}, processes still alive: ${summary.processesAlive}`,
);
