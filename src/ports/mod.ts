/**
 * The port driver with every request handler registered: the one place that lists what the
 * I/O owner can do. The single scheduler (src/vm/vm.ts) and the SMP pool (src/sched/smp.ts)
 * both build their driver here.
 */
import { type DriverHost, PortDriver, type Waker } from "./driver.ts";
import { registerExec } from "./exec.ts";
import { registerFiles } from "./files.ts";
import { type AsyncByteSource, StdinPort } from "./stdin.ts";
import { registerTcp } from "./tcp.ts";
import { registerUdp } from "./udp.ts";
import { registerHttp } from "./http.ts";
import { registerFutures } from "./futures.ts";
import { registerDb } from "./db.ts";
import { registerCode } from "./code.ts";

export function createDriver(host: DriverHost, waker: Waker, stdin: AsyncByteSource): PortDriver {
  const driver = new PortDriver(host, waker);
  registerFiles(driver);
  registerExec(driver);
  registerTcp(driver);
  registerUdp(driver);
  registerHttp(driver);
  registerFutures(driver);
  registerDb(driver);
  driver.codeLoader = registerCode(driver);
  new StdinPort(driver, stdin);
  return driver;
}

export { PortDriver };
export type { AsyncByteSource };
