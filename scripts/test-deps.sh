#!/usr/bin/env bash
# Idempotent: what the test suite needs from the machine, installed and started
# here so that a fresh CI machine and a developer's machine behave the same.
#  - util-linux (prlimit, setsid) and procps
#  - rsyslog, whose rsyslogd the log package's syslog test runs itself
#  - an unprivileged test user with a supplementary group, for the
#    privilege-dropping tests (root only)
#  - a PostgreSQL server on 127.0.0.1 with a test database, for the registry
# Prints `export NAME=value` lines for the caller to eval.
set -euo pipefail

log() { echo "test-deps: $*" >&2; }

if [ "$(id -u)" != 0 ]; then
  log "not root: skipping system packages, the test user and PostgreSQL (those tests skip with a message)"
  exit 0
fi

need=()
command -v prlimit >/dev/null 2>&1 || need+=(util-linux)
command -v ps >/dev/null 2>&1 || need+=(procps)
command -v getent >/dev/null 2>&1 || need+=(libc-bin)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
# The config package compares its paste.deploy semantics with the real thing.
/usr/bin/python3 -c 'import paste.deploy' >/dev/null 2>&1 || need+=(python3-pastedeploy)
# The log package checks its syslog datagrams against a real rsyslogd, which
# its test starts on a socket of its own (never as the system's syslog).
[ -x /usr/sbin/rsyslogd ] || need+=(rsyslog)
# The wsgi-server tests socket activation through systemd-socket-activate.
command -v systemd-socket-activate >/dev/null 2>&1 || need+=(systemd)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

# The unprivileged test user: its own primary group plus one supplementary group.
TEST_USER=forklift-test
TEST_GROUP_EXTRA=forklift-extra
getent group "$TEST_GROUP_EXTRA" >/dev/null || groupadd --system "$TEST_GROUP_EXTRA"
if ! getent passwd "$TEST_USER" >/dev/null; then
  useradd --system --user-group --create-home --home-dir "/var/lib/$TEST_USER" \
    --shell /usr/sbin/nologin --groups "$TEST_GROUP_EXTRA" "$TEST_USER"
fi
echo "export FORKLIFT_TEST_USER=$TEST_USER"

# PostgreSQL: our own cluster in a fixed directory on a fixed port, so we never
# depend on (or disturb) a system cluster's configuration.
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PG_DATA=/var/lib/forklift-test-pg
PG_PORT=${FORKLIFT_TEST_PG_PORT:-54329}
if [ ! -f "$PG_DATA/PG_VERSION" ]; then
  log "initialising PostgreSQL cluster in $PG_DATA"
  install -d -o postgres -g postgres -m 700 "$PG_DATA"
  su postgres -s /bin/sh -c "$PG_BIN/initdb -D $PG_DATA -A trust -U postgres" >/dev/null
fi
if ! su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D $PG_DATA status" >/dev/null 2>&1; then
  log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  install -d -o postgres -g postgres /var/run/postgresql
  su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D $PG_DATA -l $PG_DATA/server.log -w -t 60 \
    -o '-c listen_addresses=127.0.0.1 -p $PG_PORT -c max_connections=300 -c fsync=off' start" >/dev/null
fi
psql() { su postgres -s /bin/sh -c "psql -h 127.0.0.1 -p $PG_PORT -U postgres -tAq $*"; }
[ "$(psql "-c \"select 1 from pg_roles where rolname='forklift'\"")" = 1 ] ||
  psql "-c \"create role forklift login password 'forklift' createdb\""
[ "$(psql "-c \"select 1 from pg_database where datname='forklift_test'\"")" = 1 ] ||
  psql "-c \"create database forklift_test owner forklift\""
echo "export FORKLIFT_TEST_PG_URL=postgres://forklift:forklift@127.0.0.1:$PG_PORT/forklift_test"

# MariaDB (the registry's MySQL dialect; Debian ships mariadb-server): like
# PostgreSQL above, our own datadir, socket and fixed port on 127.0.0.1, a test
# database and user. The registry tests create throwaway databases named
# fl_*, so the user may create and drop those.
MY_DATA=/var/lib/forklift-test-mariadb
MY_RUN=/run/forklift-test-mariadb
MY_PORT=${FORKLIFT_TEST_MYSQL_PORT:-33069}
if [ ! -x /usr/sbin/mariadbd ]; then
  log "installing mariadb-server"
  export DEBIAN_FRONTEND=noninteractive
  # Keep the package from starting the system server (/var/lib/mysql on :3306): we run our own.
  policy_rc=/usr/sbin/policy-rc.d
  own_policy=0
  if [ ! -e "$policy_rc" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy_rc" && chmod 755 "$policy_rc" && own_policy=1
  fi
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends mariadb-server mariadb-client >&2 || {
    [ "$own_policy" = 0 ] || rm -f "$policy_rc"
    exit 1
  }
  [ "$own_policy" = 0 ] || rm -f "$policy_rc"
fi
if [ ! -d "$MY_DATA/mysql" ]; then
  log "initialising MariaDB in $MY_DATA"
  install -d -o mysql -g mysql -m 700 "$MY_DATA"
  mariadb-install-db --user=mysql --datadir="$MY_DATA" --skip-test-db \
    --auth-root-authentication-method=socket >"$MY_DATA/install.log" 2>&1
fi
my() { mariadb --protocol=socket --socket="$MY_RUN/mysqld.sock" -uroot "$@"; }
if ! my -e 'select 1' >/dev/null 2>&1; then
  log "starting MariaDB on 127.0.0.1:$MY_PORT"
  install -d -o mysql -g mysql -m 755 "$MY_RUN"
  # Detached and with no descriptor of ours, so `eval "$(bash test-deps.sh)"` does not wait for it.
  setsid /usr/sbin/mariadbd --no-defaults --user=mysql --datadir="$MY_DATA" \
    --bind-address=127.0.0.1 --port="$MY_PORT" --socket="$MY_RUN/mysqld.sock" \
    --pid-file="$MY_RUN/mysqld.pid" --log-error="$MY_DATA/server.log" \
    --skip-name-resolve --max-connections=300 --innodb-flush-log-at-trx-commit=2 \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    </dev/null >/dev/null 2>&1 &
  for _ in $(seq 1 120); do
    my -e 'select 1' >/dev/null 2>&1 && break
    sleep 0.5
  done
  my -e 'select 1' >/dev/null || { log "MariaDB did not start: see $MY_DATA/server.log"; exit 1; }
fi
my -e "create database if not exists forklift_test;
  create user if not exists 'forklift'@'127.0.0.1' identified by 'forklift';
  grant all privileges on \`forklift\_test\`.* to 'forklift'@'127.0.0.1';
  grant all privileges on \`fl\_%\`.* to 'forklift'@'127.0.0.1';"
echo "export FORKLIFT_TEST_MYSQL_URL=mysql://forklift:forklift@127.0.0.1:$MY_PORT/forklift_test"
