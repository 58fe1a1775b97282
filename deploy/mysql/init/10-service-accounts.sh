#!/usr/bin/env bash
# Creates, for each service, its schema and two accounts on it:
#   <service>           the running service: data only (SELECT, INSERT, UPDATE, DELETE);
#   <service>_migrator  the one-shot `migrate` step: may also create, alter and drop tables.
# The MySQL image runs this once, when its data volume is new. It is idempotent, so after adding
# a service to an existing volume, or changing a password, it can be run again:
#   docker compose exec mysql /docker-entrypoint-initdb.d/10-service-accounts.sh
# Passwords come from the container's environment (docker-compose.yml, .env.example).
set -euo pipefail

# The accounts use mysql_native_password: sqlx's MySQL driver is built without its `mysql-rsa`
# feature, and a caching_sha2_password account's first login over a connection without TLS
# needs RSA. MySQL 8.4 still has the plugin but disabled: docker-compose.yml starts it with
# --mysql-native-password=ON (MySQL 9 removes it; moving on means TLS or sqlx's mysql-rsa).
sql() {
  # The password goes through a file, not the command line; the client wants that option first.
  mysql --defaults-extra-file=<(printf '[client]\npassword="%s"\n' "${MYSQL_ROOT_PASSWORD:-}") \
    --protocol=socket --user=root
}

# MariaDB, which stands in for MySQL where its image cannot be had (deploy/podman/), spells the
# plugin clause differently; mysql_native_password is its default, so the plain clause means the
# same there.
if [[ $(sql <<<'SELECT VERSION()') == *MariaDB* ]]; then
  identified="IDENTIFIED BY"
else
  identified="IDENTIFIED WITH mysql_native_password BY"
fi

# Only URL-safe characters: the passwords are pasted into DATABASE_URL and into the SQL below.
check_password() { # variable name
  if [[ ! ${!1:-} =~ ^[A-Za-z0-9._~-]+$ ]]; then
    echo "$1 must be set, using only A-Z a-z 0-9 . _ ~ -" >&2
    exit 1
  fi
}

service_accounts() { # service, schema, service password variable, migrator password variable
  local service=$1 schema=$2
  # In GRANT, `_` matches any character: escape it so the grant names exactly this schema.
  local grant_schema=${schema//_/\\_}
  check_password "$3"
  check_password "$4"
  echo "schema ${schema}: accounts ${service}, ${service}_migrator"
  sql <<SQL
CREATE DATABASE IF NOT EXISTS \`${schema}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '${service}'@'%' ${identified} '${!3}';
CREATE USER IF NOT EXISTS '${service}_migrator'@'%' ${identified} '${!4}';
ALTER USER '${service}'@'%' ${identified} '${!3}';
ALTER USER '${service}_migrator'@'%' ${identified} '${!4}';
GRANT SELECT, INSERT, UPDATE, DELETE ON \`${grant_schema}\`.* TO '${service}'@'%';
GRANT ALL PRIVILEGES ON \`${grant_schema}\`.* TO '${service}_migrator'@'%';
SQL
}

# One line per service.
service_accounts auth shopper_auth AUTH_DB_PASSWORD AUTH_MIGRATOR_DB_PASSWORD
service_accounts user shopper_user USER_DB_PASSWORD USER_MIGRATOR_DB_PASSWORD
service_accounts product shopper_product PRODUCT_DB_PASSWORD PRODUCT_MIGRATOR_DB_PASSWORD
service_accounts order shopper_order ORDER_DB_PASSWORD ORDER_MIGRATOR_DB_PASSWORD
service_accounts mailer shopper_mailer MAILER_DB_PASSWORD MAILER_MIGRATOR_DB_PASSWORD
