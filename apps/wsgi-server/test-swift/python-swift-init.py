#!/usr/bin/python3
# Python swift-init for this test: Swift's own Manager (Debian's python3-swift)
# behind a minimal argv driver, with SWIFT_DIR and the run dir redirected.
#   python-swift-init.py <conf dir> <run dir> <server>... <command>
# Manager and Server take the run dir as a default argument fixed at import,
# and reload builds new Managers without passing it: patch the defaults too.
import sys

import swift.common.manager as manager

conf_dir, run_dir = sys.argv[1], sys.argv[2]
servers, command = sys.argv[3:-1], sys.argv[-1]
manager.SWIFT_DIR = conf_dir
manager.RUN_DIR = run_dir
manager.Manager.__init__.__defaults__ = (run_dir,)
manager.Server.__init__.__defaults__ = (run_dir,)
status = manager.Manager(servers, run_dir=run_dir).run_command(
    command, verbose=False, wait=True, once=False, daemon=True,
    graceful=command in ('reload', 'shutdown'), number=0, kill_wait=15,
    run_dir=run_dir, strict=None, kill_after_timeout=False)
sys.exit(1 if status else 0)
