#!/usr/bin/env bash
# The rabbitmq:3.13-management stand-in's entrypoint (rabbitmq.Containerfile): the official
# image's defaults that matter here, then the broker in the foreground.
set -euo pipefail

# The default account may connect from other containers (RabbitMQ lets guest in over loopback
# only), and takes its name and password from the same variables as the official image.
cat >/etc/rabbitmq/rabbitmq.conf <<CONF
loopback_users.guest = false
default_user = ${RABBITMQ_DEFAULT_USER:-guest}
default_pass = ${RABBITMQ_DEFAULT_PASS:-guest}
listeners.tcp.default = 5672
management.tcp.port = 15672
CONF
chown -R rabbitmq:rabbitmq /var/lib/rabbitmq
exec rabbitmq-server
