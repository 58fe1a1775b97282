#!/usr/bin/env bash
# Builds stand-ins for the official base images the Dockerfiles and docker-compose.yml name, on a
# machine that cannot pull them: Debian 12 packages only, under the exact tags the files use, so
# the files themselves run unchanged. Each stand-in carries the label io.shopper.stand-in=true and
# a description of what it is; a tag that already holds an image without that label (a real one)
# is left alone. docs/DEPLOYMENT.md ("Containers with podman") says what differs from the real
# images.
#
#   deploy/podman/stand-ins.sh            build the stand-ins that are missing
#   deploy/podman/stand-ins.sh --rebuild  build them all again
set -euo pipefail
cd "$(dirname "$0")"

MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
# The Rust the official builder image would bring (the Dockerfiles name rust:1.95-bookworm).
RUST_TOOLCHAIN=${RUST_TOOLCHAIN:-1.95.0}
LABEL=io.shopper.stand-in

rebuild=false
[[ ${1:-} == --rebuild ]] && rebuild=true

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# Whether TAG must be (re)built: missing, or a stand-in and --rebuild was asked for.
wanted() { # tag
  local label
  if ! label=$(podman image inspect --format "{{ index .Labels \"$LABEL\" }}" "$1" 2>/dev/null); then
    return 0
  fi
  if [[ $label != true ]]; then
    echo "$1: a real image is present; keeping it"
    return 1
  fi
  $rebuild
}

describe() { # what it stands in for
  printf 'Stand-in for %s, built by deploy/podman/stand-ins.sh from Debian %s packages' "$1" "$SUITE"
}

debian_slim() {
  local tag=docker.io/library/debian:bookworm-slim rootfs=$scratch/rootfs
  wanted "$tag" || return 0
  echo "$tag: debootstrap $SUITE (minbase) from $MIRROR"
  debootstrap --variant=minbase "$SUITE" "$rootfs" "$MIRROR" >"$scratch/debootstrap.log" 2>&1 || {
    tail -n 20 "$scratch/debootstrap.log"
    return 1
  }
  # The suites the real image lists, so `apt-get install` in a Dockerfile gets security updates.
  cat >"$rootfs/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb ${MIRROR%/debian}/debian-security $SUITE-security main
EOF
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb
  tar -C "$rootfs" -c . | podman import \
    --change "LABEL $LABEL=true" \
    --change "LABEL org.opencontainers.image.description=\"$(describe debian:bookworm-slim)\"" \
    --change 'CMD ["bash"]' - "$tag" >/dev/null
  rm -rf "$rootfs"
}

# A stand-in from deploy/podman/<name>.Containerfile, on top of the Debian one, with CONTEXT.
from_containerfile() { # tag, name, what it stands in for, context directory
  wanted "$1" || return 0
  echo "$1: deploy/podman/$2.Containerfile"
  podman build --quiet --pull=never -f "$2.Containerfile" -t "$1" \
    --label "$LABEL=true" --label "org.opencontainers.image.description=$(describe "$3")" \
    "$4" >/dev/null
}

rust_builder() {
  local tag=docker.io/library/rust:1.95-bookworm context=$scratch/rust toolchain
  wanted "$tag" || return 0
  # This machine's toolchain, as rustup installed it (its documentation left out).
  toolchain=$(rustup run "$RUST_TOOLCHAIN" rustc --print sysroot)
  mkdir -p "$context/toolchain" "$context/ca-certificates"
  cp -a "$toolchain"/{bin,lib,libexec,etc} "$context/toolchain/"
  # Builds fetch crates over HTTPS; where this machine reaches the registries through an
  # intercepting proxy, the builder must trust the same extra roots as the machine does.
  cp /usr/local/share/ca-certificates/*.crt "$context/ca-certificates/" 2>/dev/null || true
  cp rust.Containerfile "$context/"
  from_containerfile "$tag" rust "rust:1.95-bookworm" "$context"
  rm -rf "$context"
}

debian_slim
rust_builder
from_containerfile docker.io/library/mysql:8.4 mariadb "mysql:8.4 (MariaDB 10.11)" .
from_containerfile docker.io/library/rabbitmq:3.13-management rabbitmq \
  "rabbitmq:3.13-management (RabbitMQ 3.10)" .
# Images built on a stand-in inherit its labels, so those of the project's images say so too;
# this lists the stand-ins themselves.
podman images --filter "label=$LABEL=true" --filter 'reference=docker.io/library/*' \
  --format '{{.Repository}}:{{.Tag}}  {{.Size}}'
