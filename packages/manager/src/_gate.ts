/**
 * The start gate: swift-init spawns each server through `sh -c GATE
 * <pid file> <binary> <args…>`, which blocks reading fd 3 before it execs the
 * server in its own pid. swift-init writes the pid file, then `go` on fd 3.
 * So no server code runs before its pid file exists, and if swift-init dies
 * before `go` (kill -9 at any moment), fd 3 reaches EOF: the gate removes the
 * pid file if it already names the gate's pid, and exits 125 without ever
 * starting the server. Nothing is left for the next command to resolve.
 *
 * Why a gate rather than an intent record resolved later: a record needs
 * every later command to find and settle it, and until then a live server
 * has no pid file; the gate has no such window, costs one `sh` exec (~1 ms,
 * and wait mode already needed sh to join stderr to stdout), and the pid
 * stays the server's own because sh execs it.
 *
 * The scripts are matched word for word by the cmdline check (a gate that
 * is still waiting is the server it will become, for `status` and `stop`).
 */
// Builtins only, but for rm (through `command -p`, so a PATH without /bin
// does not matter).
const BODY =
  'IFS= read -r go <&3; exec 3<&-; if [ "$go" != go ]; then IFS= read -r pid 2>/dev/null <"$0" && [ "$pid" = "$$" ] && command -p rm -f -- "$0"; exit 125; fi; exec "$@"'

/** The gate that leaves stdout and stderr as they are. */
export const GATE = BODY
/** The gate that joins stderr to stdout (swift's `Popen(stderr=STDOUT)`): one pipe to read until the server closes it. */
export const GATE_JOINED = `${BODY} 2>&1`
/** Both, for the cmdline check. */
export const GATE_SCRIPTS: readonly string[] = Object.freeze([GATE, GATE_JOINED])
/** The exit status of a gate that was never opened. */
export const GATE_CLOSED_STATUS = 125
