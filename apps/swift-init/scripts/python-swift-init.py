#!/usr/bin/python3
# Python swift-init for the conformance harness and the bench: Swift's own
# Manager (swift/common/manager.py from Debian's python3-swift) behind a
# driver of ours that reads the command line as upstream's bin/swift-init
# 2.30.1 does (optparse, the same options, usage text, defaults, the
# start/main swap and the exit status). Debian does not ship bin/swift-init
# and we do not vendor it: with FORKLIFT_SWIFT_INIT=/path/to/bin/swift-init
# (a checkout of github.com/openstack/swift) that very script runs instead,
# so the driver can be checked against it.
#
#   python-swift-init.py [swift-init arguments]
#   python-swift-init.py --serve           (fork server, see serve() below)
#
# Environment, for sandboxes (upstream reads neither):
#   SWIFT_DIR          the conf dir (upstream hard-codes /etc/swift)
#   FORKLIFT_RUN_DIR   the run dir every Manager/Server defaults to: upstream's
#                      `reload` makes a Manager per server without passing -r
#                      on, so without this it would touch /var/run/swift
import json
import os
import sys

import swift.common.manager as manager

HOST_RUN_DIR = manager.RUN_DIR


def sandbox():
    """Points swift's module-level dirs at the environment's (see above)."""
    if os.environ.get('SWIFT_DIR'):
        manager.SWIFT_DIR = os.environ['SWIFT_DIR']
    run_dir = os.environ.get('FORKLIFT_RUN_DIR')
    if run_dir:
        for cls in (manager.Manager, manager.Server):
            defaults = list(cls.__init__.__defaults__)
            defaults[-1] = run_dir
            cls.__init__.__defaults__ = tuple(defaults)


def usage_text():
    listing = '\n'.join('%16s: %s' % c for c in manager.Manager.list_commands())
    return ('%prog <server>[.<config>] [<server>[.<config>] ...] <command> [options]\n'
            '\n'
            'where:\n'
            "    <server>  is the name of a swift service e.g. proxy-server.\n"
            "              The '-server' part of the name may be omitted.\n"
            "              'all', 'main' and 'rest' are reserved words that represent a\n"
            "              group of services.\n"
            "              all: Expands to all swift daemons.\n"
            "              main: Expands to main swift daemons.\n"
            "                    (proxy, container, account, object)\n"
            "              rest: Expands to all remaining background daemons (beyond\n"
            '                    "main").\n'
            "                    (updater, replicator, auditor, etc)\n"
            "    <config>  is an explicit configuration filename without the\n"
            "              .conf extension. If <config> is specified then <server> should\n"
            "              refer to a directory containing the configuration file, e.g.:\n"
            "\n"
            "                  swift-init object.1 start\n"
            "\n"
            "              will start an object-server using the configuration file\n"
            "              /etc/swift/object-server/1.conf\n"
            "    <command> is a command from the list below.\n"
            "\n"
            "Commands:\n" + listing)


# (flags, keyword arguments of add_option): bin/swift-init 2.30.1's options.
OPTIONS = [
    (('-v', '--verbose'), dict(action='store_true', default=False,
                               help='display verbose output')),
    (('-w', '--no-wait'), dict(action='store_false', dest='wait', default=True,
                               help="won't wait for server to start before returning")),
    (('-o', '--once'), dict(action='store_true', default=False,
                            help='only run one pass of daemon')),
    (('-n', '--no-daemon'), dict(action='store_false', dest='daemon', default=True,
                                 help='start server interactively')),
    (('-g', '--graceful'), dict(action='store_true', default=False,
                                help='send SIGHUP to supporting servers')),
    (('-c', '--config-num'), dict(metavar='N', type='int', dest='number', default=0,
                                  help='send command to the Nth server only')),
    (('-k', '--kill-wait'), dict(metavar='N', type='int', dest='kill_wait',
                                 default=manager.KILL_WAIT,
                                 help='wait N seconds for processes to die (default 15)')),
    (('-r', '--run-dir'), dict(type='str', dest='run_dir', default=HOST_RUN_DIR,
                               help='alternative directory to store running pid files '
                                    'default: %s' % HOST_RUN_DIR)),
    (('--strict',), dict(dest='strict', action='store_true',
                         help='Return non-zero status code if some config is missing. '
                              'Default mode if all servers are explicitly named.')),
    (('--non-strict',), dict(dest='strict', action='store_false',
                             help='Return zero status code even if some config is missing. '
                                  'Default mode if any server is a glob or one of aliases '
                                  '`all`, `main` or `rest`.')),
    (('--kill-after-timeout',), dict(dest='kill_after_timeout', action='store_true',
                                     help='Kill daemon and all children after kill-wait period.')),
]


def driver():
    from optparse import OptionParser
    parser = OptionParser(usage_text())
    for flags, kwargs in OPTIONS:
        parser.add_option(*flags, **kwargs)
    options, args = parser.parse_args()
    if len(args) < 2:
        parser.print_help()
        print('ERROR: specify server(s) and command')
        return 1
    servers, command = args[:-1], args[-1]
    commands = [name for name, _ in manager.Manager.list_commands()]
    # swift-init's swap: `start main` works as `main start`.
    if command not in commands and servers[0] in commands:
        servers.append(command)
        command = servers.pop(0)
    m = manager.Manager(servers, run_dir=options.run_dir)
    try:
        status = m.run_command(command, **vars(options))
    except manager.UnknownCommandError:
        parser.print_help()
        print('ERROR: unknown command, %s' % command)
        status = 1
    return 1 if status else 0


def run(argv):
    """Runs swift-init (ours, or upstream's script) with argv; returns its exit status."""
    sandbox()
    upstream = os.environ.get('FORKLIFT_SWIFT_INIT')
    sys.argv = [upstream or 'swift-init'] + list(argv)
    try:
        if upstream:
            import runpy
            runpy.run_path(upstream, run_name='__main__')
            return 0
        return driver()
    except SystemExit as e:
        if e.code is None:
            return 0
        if isinstance(e.code, int):
            return e.code
        print(e.code, file=sys.stderr)
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


def serve():
    """
    A fork server, so that each run costs a fork instead of Python importing
    swift and eventlet again (a second or more on a busy machine). Requests
    are JSON lines on stdin: {"argv", "env", "cwd", "stdout", "stderr"} (the
    last two are files the run's stdout and stderr go to); each gets
    {"pid"} when its process exists and {"pid", "status"} when it exits, on
    stdout. Each run is a fresh fork of this process as it was after import.
    """
    out = os.fdopen(os.dup(1), 'w')
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 1)
    for line in sys.stdin:
        req = json.loads(line)
        pid = os.fork()
        if pid == 0:
            try:
                out.close()  # the protocol is not the run's business
                os.chdir(req['cwd'])
                os.environ.clear()
                os.environ.update(req['env'])
                os.dup2(null, 0)
                os.dup2(os.open(req['stdout'], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 1)
                os.dup2(os.open(req['stderr'], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 2)
                os.close(null)
                code = run(req['argv'])
            except BaseException as e:  # a driver bug must still end this child
                print('python-swift-init: %r' % (e,), file=sys.stderr)
                code = 70
            os._exit(code)
        out.write(json.dumps({'pid': pid}) + '\n')
        out.flush()
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        out.write(json.dumps({'pid': pid, 'status': code}) + '\n')
        out.flush()


if __name__ == '__main__':
    if sys.argv[1:] == ['--serve']:
        serve()
    else:
        sys.exit(run(sys.argv[1:]))
