#!/usr/bin/env bash
# The mysql:8.4 stand-in's entrypoint (mariadb.Containerfile). On an empty data directory it
# initialises one, sets root's password to MYSQL_ROOT_PASSWORD (for root@localhost and root@%, as
# the official image does) and runs /docker-entrypoint-initdb.d/*.sh and *.sql against a server
# that listens on no network, so nobody connects before it is ready. Then it runs the server.
set -euo pipefail

datadir=/var/lib/mysql
# Every connection would otherwise wait on a reverse DNS lookup of the client's address.
server=(mariadbd --user=mysql --datadir="$datadir" --skip-name-resolve)

if [[ ! -d $datadir/mysql ]]; then
  : "${MYSQL_ROOT_PASSWORD:?MYSQL_ROOT_PASSWORD must be set}"
  echo "initialising $datadir"
  mariadb-install-db --user=mysql --datadir="$datadir" --skip-test-db >/dev/null
  "${server[@]}" --skip-networking --socket=/run/mysqld/mysqld.sock &
  pid=$!
  for _ in $(seq 1 60); do
    mariadb-admin --protocol=socket ping --silent 2>/dev/null && break
    sleep 1
  done
  mariadb --protocol=socket --user=root <<SQL
ALTER USER 'root'@'localhost' IDENTIFIED BY '${MYSQL_ROOT_PASSWORD}';
CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '${MYSQL_ROOT_PASSWORD}';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;
SQL
  # From here on root needs its password; it travels in a file, never on a command line.
  client_config=$(mktemp)
  printf '[client]\npassword="%s"\n' "$MYSQL_ROOT_PASSWORD" >"$client_config"
  client=(--defaults-extra-file="$client_config" --protocol=socket --user=root)
  for file in /docker-entrypoint-initdb.d/*; do
    case $file in
      *.sh) echo "running $file"; bash "$file" ;;
      *.sql) echo "running $file"
        mariadb "${client[@]}" <"$file" ;;
    esac
  done
  mariadb-admin "${client[@]}" shutdown
  wait "$pid"
  rm -f "$client_config"
  echo "initialised"
fi

exec "${server[@]}" --bind-address=0.0.0.0 "$@"
