#!/usr/bin/python3
# Python swift-init for the bench and for comparisons: swift's own Manager
# from Debian's python3-swift behind a minimal argv driver. Upstream's
# bin/swift-init is not vendored here; when the installed swift has
# swift.common.manager.main (newer releases), that is what runs.
#
#   python-swift-init.py <server>... <command>
#   env SWIFT_DIR (default /etc/swift), SWIFT_RUN_DIR (default /var/run/swift)
#
# Options of the real swift-init are not parsed: the bench only needs
# start / status / stop with the defaults.
import os
import sys

import swift.common.manager as manager

if os.environ.get('SWIFT_DIR'):
    # Server methods read the module global, so this redirects discovery.
    manager.SWIFT_DIR = os.environ['SWIFT_DIR']
run_dir = os.environ.get('SWIFT_RUN_DIR', manager.RUN_DIR)

if hasattr(manager, 'main'):
    sys.argv = [sys.argv[0]] + sys.argv[1:] + ['--run-dir', run_dir]
    sys.exit(manager.main())

args = sys.argv[1:]
if len(args) < 2:
    print('usage: python-swift-init.py <server>... <command>')
    sys.exit(1)
servers, command = args[:-1], args[-1]
m = manager.Manager(servers, run_dir=run_dir)
try:
    status = m.run_command(command, verbose=False, wait=True, once=False,
                           daemon=True, graceful=False, number=0,
                           kill_wait=manager.KILL_WAIT, run_dir=run_dir,
                           strict=None, kill_after_timeout=False)
except manager.UnknownCommandError:
    print('ERROR: unknown command, %s' % command)
    status = 1
sys.exit(1 if status else 0)
