"""Checks that the Docker build context holds every input of the image builds.

The Dockerfiles send the repository through `.dockerignore`, an allow-list. A workspace member,
a data file a crate embeds or a build setting left out of it breaks every image build, and
nothing short of a real build would notice. This check needs no engine: it lays the committed
files that `.dockerignore` lets through into a scratch directory, the way Docker and podman
filter a context (docker-py's implementation of the same rules), and then

  * runs `cargo metadata --locked` there: every workspace member and the lock file must be
    present and agree (crates already downloaded are not fetched again);
  * requires in the context what a release build of each workspace package reads: its manifest,
    the directories of its library, binaries and build script, every file a source there
    embeds (`include_str!`, `include_bytes!`, `sqlx::migrate!`), and the workspace's build
    settings (`Cargo.toml`, `Cargo.lock`, `.cargo/`, a `rust-toolchain` file). Tests, benches,
    examples and scripts beside a package are no build input and may stay out.

Each missing input is printed on a line of its own; the exit code is 1 if any is missing.
Run from the repository's root.
"""

import json
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

from docker.utils.build import exclude_paths

ROOT = pathlib.Path.cwd()
# Inputs of every build that belong to no package.
WORKSPACE_INPUTS = ("Cargo.toml", "Cargo.lock", ".cargo/", "rust-toolchain", "rust-toolchain.toml")
# The targets a release build compiles.
BUILT_KINDS = {"lib", "rlib", "bin", "proc-macro", "custom-build"}
# A path a source file embeds: include_str!("...") and include_bytes!("...") are relative to the
# file, sqlx::migrate!("...") to the package's manifest directory.
EMBEDDED = re.compile(r'\b(include_str|include_bytes|migrate)!\(\s*"([^"]+)"')


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], check=True, capture_output=True, text=True)
    return [path for path in out.stdout.split("\0") if path and (ROOT / path).is_file()]


def dockerignore_patterns() -> list[str]:
    # As docker-py's own build() reads the file: one pattern a line, comments dropped.
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def context_files(tracked: list[str]) -> set[str]:
    included = exclude_paths(str(ROOT), dockerignore_patterns())
    return {path for path in tracked if path in included}


def cargo_metadata(directory: pathlib.Path, *flags: str) -> tuple[dict | None, str]:
    run = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked", *flags],
        cwd=directory,
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        return None, run.stderr.strip()
    return json.loads(run.stdout), ""


def relative(path: str | pathlib.Path) -> str:
    return pathlib.Path(path).resolve().relative_to(ROOT).as_posix()


def build_inputs(package: dict, tracked: list[str]) -> set[str]:
    """The committed files a release build of PACKAGE reads, relative to the root."""
    found = {relative(package["manifest_path"])}
    for target in package["targets"]:
        if BUILT_KINDS.intersection(target["kind"]):
            directory = relative(pathlib.Path(target["src_path"]).parent) + "/"
            found.update(p for p in tracked if p.startswith(directory))
    package_dir = relative(pathlib.Path(package["manifest_path"]).parent)
    found.update(embedded_paths(package_dir, sorted(found), tracked))
    return found


def embedded_paths(package_dir: str, sources: list[str], tracked: list[str]) -> set[str]:
    """Every committed file that SOURCES embed, relative to the root."""
    found = set()
    for source in (p for p in sources if p.endswith(".rs")):
        for macro, literal in EMBEDDED.findall((ROOT / source).read_text(errors="replace")):
            base = ROOT / (package_dir if macro == "migrate" else pathlib.PurePath(source).parent)
            try:
                embedded = relative(base / literal)
            except ValueError:  # outside the repository
                continue
            found.update(p for p in tracked if p == embedded or p.startswith(embedded + "/"))
    return found


def main() -> int:
    tracked = tracked_files()
    context = context_files(tracked)
    problems = []

    scratch = pathlib.Path(tempfile.mkdtemp(prefix="docker-context-"))
    try:
        for path in context:
            (scratch / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / path, scratch / path)
        metadata, error = cargo_metadata(scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if metadata is None:
        # cargo names the member it could not load ("failed to load manifest for workspace
        # member `/tmp/.../bench`"); say it in the repository's terms.
        error = error.replace(str(scratch) + "/", "").replace(str(scratch), ".")
        problems.append(f"cargo metadata fails on the build context: {error}")

    # The packages as the full tree has them, so a member missing from the context is still seen.
    full, error = cargo_metadata(ROOT, "--no-deps")
    if full is None:
        problems.append(f"cargo metadata fails on the repository itself: {error}")
        packages = []
    else:
        members = set(full["workspace_members"])
        packages = [p for p in full["packages"] if p["id"] in members]

    required = {p for p in tracked if any(p == w or p.startswith(w) for w in WORKSPACE_INPUTS)}
    for package in packages:
        required.update(build_inputs(package, tracked))

    for path in sorted(required - context):
        problems.append(f"{path}: a build input that .dockerignore leaves out of the context")

    for line in problems:
        print(line)
    if problems:
        print(f"the Docker build context misses {len(problems)} input(s); see .dockerignore")
        return 1
    print(f"the Docker build context holds all {len(required)} build inputs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
