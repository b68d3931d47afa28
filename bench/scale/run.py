"""The scale benchmark: one suite, every contender, one run, one table.

    .venv/bin/python -m bench.scale                 # the full run (about 10 minutes)
    .venv/bin/python -m bench.scale --quick         # a smoke run (under a minute)
    .venv/bin/python -m bench.scale --memory        # 1,000 vs 10,000 scenarios (minutes)
    .venv/bin/python -m bench.scale --suite none --baseline main   # only the CPU part,
                                    # HEAD and main side by side (a few minutes)

See bench/README.md for what each part measures. Not a test: nothing fails; the
targets of issue 5 are printed as met or missed with their ratios.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.scale.contenders import BIN, REPO, Contender, ensure_behavex, python_path
from bench.scale.measure import MB, Measurement, mb, run, wait_quiet
from bench.scale.suite import Suite, generate

SPEED_BALANCED = [
    "requests-4t",
    "behave",
    "behavex-feature-4",
    "behavex-scenario-4",
    "interlock-1",
    "interlock-2",
    "interlock-4",
    "interlock-8",
    "interlock-4-fork",
    "interlock-8-fork",
]
SPEED_UNEVEN = [
    "requests-4t",
    "behavex-feature-4",
    "behavex-scenario-4",
    "interlock-4",
    "interlock-4-fork",
]
CPU_CONTENDERS = [
    "requests-1t",
    "behave-null",
    "behave",
    "interlock-1",
    "interlock-1-nolint",
    "interlock-1-fork",
]
MEMORY_CONTENDERS = ["interlock-2"]
LIMIT = "requests-4t"  # the physical limit the balanced target compares with
_COUNTS = re.compile(r"(\d+) (?:scenarios? )?passed, (\d+) failed")


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


class BenchError(Exception):
    pass


@dataclass
class Row:
    contender: Contender
    measurements: list[Measurement]
    scenarios: int
    problem: str = ""  # empty when every scenario passed

    @property
    def wall(self) -> float:
        return statistics.median(m.wall for m in self.measurements)

    @property
    def cpu(self) -> float:
        return statistics.median(m.cpu for m in self.measurements)

    @property
    def outside(self) -> float:
        return statistics.median(m.outside for m in self.measurements)

    @property
    def tree_rss(self) -> int:
        return max(m.tree_rss for m in self.measurements)

    @property
    def maxrss(self) -> int:
        return max(m.maxrss for m in self.measurements)

    def worker_peaks(self) -> list[int]:
        return sorted((p.rss for p in self.measurements[-1].workers()), reverse=True)

    def worker_private_peaks(self) -> list[int]:
        """Each worker's own pages (USS), where sampled: a forked worker's RSS also
        counts the pages it shares with the run it was forked from."""
        return sorted((p.uss for p in self.measurements[-1].workers() if p.uss), reverse=True)

    def parent_peak(self) -> int:
        return self.measurements[-1].root_peak()


@dataclass
class Section:
    title: str
    suite: Suite
    rows: list[Row] = field(default_factory=list)

    def row(self, name: str) -> Row | None:
        for row in self.rows:
            if row.contender.name == name and not row.problem:
                return row
        return None


# -- running ----------------------------------------------------------------------------------


@contextlib.contextmanager
def environment(suite: Suite, env: dict[str, str]) -> Iterator[str]:
    """``interlock up`` in the generated project; ``interlock down`` whatever happens."""
    log = suite.root / "interlock-up.log"
    try:
        with open(log, "wb") as out:
            up = subprocess.run(
                [str(BIN / "interlock"), "up"],
                cwd=suite.root,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=120,
            )
        text = log.read_text(errors="replace")
        found = re.search(r"^service items: (\S+)$", text, re.MULTILINE)
        if up.returncode != 0 or found is None:
            raise BenchError(f"`interlock up` failed (exit {up.returncode}):\n{text}")
        yield found.group(1)
    finally:
        down = subprocess.run(
            [str(BIN / "interlock"), "down"],
            cwd=suite.root,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if down.returncode != 0:
            say(f"`interlock down` failed (exit {down.returncode}): {down.stdout}{down.stderr}")


def _fresh_outputs(root: Path) -> None:
    """Every contender starts from the same reports state (the run history stays)."""
    for name in ("allure-results", "junit", "signoff", "allure-report"):
        shutil.rmtree(root / "reports" / name, ignore_errors=True)


def measure_one(
    contender: Contender,
    suite: Suite,
    url: str,
    env: dict[str, str],
    work: Path,
    timeout: float,
    private: bool = False,
) -> Measurement:
    """One run of ``contender``; ``env`` is the environment of its interlock (the
    benchmarked one, or the baseline's for an ``@base`` contender)."""
    _fresh_outputs(suite.root)
    command, cwd = contender.command(suite.root, url, suite.scenarios, work)
    log = work / "logs" / f"{suite.root.name}-{contender.name}-{time.monotonic_ns()}.log"
    return run(command, cwd, env, log, timeout=timeout, private=private)


def check(m: Measurement, expected: int) -> str:
    """Empty if the contender ran every scenario and all passed; else what went wrong."""
    if m.timed_out:
        return f"timed out after {m.wall:.0f} s"
    counts = _COUNTS.findall(m.output)
    if not counts:
        return f"exit {m.code}, no summary line (see its log)"
    passed, failed = (int(x) for x in counts[-1])
    if m.code != 0 or failed or passed != expected:
        return f"exit {m.code}, {passed} passed, {failed} failed of {expected}"
    return ""


@dataclass(frozen=True)
class Options:
    timeout: float  # per contender run, seconds
    quiet_percent: float  # wait for the machine's CPU use to fall under this first
    quiet_wait: float  # ...but no longer than this, seconds
    private: bool = False  # the memory check: also each process's own pages (USS)


def run_section(
    title: str,
    suite: Suite,
    names: Sequence[str],
    env: dict[str, str],
    work: Path,
    options: Options,
    repeats: int = 1,
    base_env: dict[str, str] | None = None,
) -> Section:
    """Every contender ``repeats`` times, interleaved; ``@base`` contenders run with
    ``base_env`` (the ``--baseline`` revision on the path)."""
    section = Section(title, suite)
    contenders = [Contender.parse(n) for n in names]
    if any(c.kind == "behavex" for c in contenders):
        ensure_behavex(say)
    rows = {c.name: Row(c, [], suite.scenarios) for c in contenders}
    with environment(suite, env) as url:
        for attempt in range(repeats):  # interleaved: every contender sees the same load
            for contender in contenders:
                row = rows[contender.name]
                if row.problem:
                    continue
                say(f"{title}: {contender.name} (run {attempt + 1}/{repeats})")
                if options.quiet_wait > 0:
                    waited, reading = wait_quiet(options.quiet_percent, options.quiet_wait)
                    if reading >= options.quiet_percent:
                        say(f"  the machine is busy ({reading:.0f}% CPU after {waited:.0f} s)")
                used = base_env if contender.base and base_env is not None else env
                m = measure_one(contender, suite, url, used, work, options.timeout, options.private)
                row.measurements.append(m)
                row.problem = check(m, suite.scenarios)
                if row.problem:
                    say(f"  {contender.name}: {row.problem}; log: {m.log}")
                else:
                    say(
                        f"  {m.wall:.2f} s wall, {m.cpu:.2f} s CPU, {mb(m.tree_rss)} MB tree,"
                        f" {m.outside:.1f} s CPU outside the tree"
                    )
    section.rows = list(rows.values())
    return section


# -- tables -----------------------------------------------------------------------------------


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return ""
    return f"{a / b:.2f}"


def speed_table(section: Section) -> list[str]:
    s = section.suite
    behave = section.row("behave")
    bxf = section.row("behavex-feature-4")
    bxs = section.row("behavex-scenario-4")
    limit = section.row(LIMIT)
    serial = section.row("interlock-1") or behave
    columns = ["contender", "wall s", "scen/s", "CPU s", "other CPU s", "tree MB", "max proc MB"]
    refs: list[tuple[str, Row | None, bool]] = [
        ("behave ÷ this", behave, True),
        ("behavex-f4 ÷ this", bxf, True),
        ("behavex-s4 ÷ this", bxs, True),
        ("this ÷ limit", limit, False),
    ]
    refs = [r for r in refs if r[1] is not None]
    columns += [r[0] for r in refs] + ["efficiency"]
    lines = [
        f"### {section.title}: {s.scenarios} scenarios in {s.features} features ({s.kind}),"
        f" 2 requests each, {s.latency_ms:g} ms latency",
        "",
        "| " + " | ".join(columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    for row in section.rows:
        name = row.contender.name
        if row.problem:
            lines.append(f"| {name} | FAILED: {row.problem} |" + " |" * (len(columns) - 2))
            continue
        cells = [
            name,
            f"{row.wall:.2f}",
            f"{row.scenarios / row.wall:.1f}",
            f"{row.cpu:.2f}",
            f"{row.outside:.1f}",
            mb(row.tree_rss),
            mb(row.maxrss),
        ]
        for _, ref, ref_over_this in refs:
            assert ref is not None
            cells.append(
                _ratio(ref.wall, row.wall) if ref_over_this else _ratio(row.wall, ref.wall)
            )
        efficiency = ""
        if row.contender.kind == "interlock" and serial is not None:
            efficiency = f"{serial.wall / (row.wall * row.contender.parallel):.2f}"
        cells.append(efficiency)
        lines.append("| " + " | ".join(cells) + " |")
    if serial is not None:
        lines += [
            "",
            f"efficiency = serial time ÷ (wall x workers), serial = {serial.contender.name}"
            f" ({serial.wall:.2f} s); limit = {LIMIT}; CPU = user+sys of the command's"
            " process tree; other CPU = the rest of the machine meanwhile (the service"
            " under test, the sampler, and any other load: a noise check)",
        ]
    return lines


def paired_ratio(row: Row, ref: Row) -> float | None:
    """The median over the rounds of ``row``'s CPU ÷ ``ref``'s in the same round: the
    rounds are interleaved, so a round's pair saw about the same machine load."""
    rounds = zip(row.measurements, ref.measurements, strict=False)  # a failed row stops early
    pairs = [m.cpu / r.cpu for m, r in rounds if r.cpu > 0]
    return statistics.median(pairs) if pairs else None


def cpu_table(section: Section) -> list[str]:
    s = section.suite
    behave = section.row("behave")
    repeats = max((len(r.measurements) for r in section.rows), default=0)
    lines = [
        f"### {section.title}: {s.scenarios} scenarios, {s.latency_ms:g} ms latency,"
        f" median of {repeats} interleaved runs",
        "",
        "| contender | wall s | CPU s (tree, service excluded) | CPU ms/scenario"
        " | ÷ behave (Allure) | ÷ behave, per round | other CPU s |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in section.rows:
        if row.problem:
            lines.append(f"| {row.contender.name} | FAILED: {row.problem} | | | | | |")
            continue
        per = row.cpu / row.scenarios * 1000
        ratio = _ratio(row.cpu, behave.cpu) if behave else ""
        paired = paired_ratio(row, behave) if behave else None
        lines.append(
            f"| {row.contender.name} | {row.wall:.2f} | {row.cpu:.2f} | {per:.2f} | {ratio}"
            f" | {'' if paired is None else f'{paired:.2f}'} | {row.outside:.1f} |"
        )
    lines += [
        "",
        "÷ behave: median CPU ÷ behave's median CPU; per round: the median of each round's"
        " CPU ÷ behave's in the same round (less sensitive to a load that drifts)",
    ]
    return lines


def _ranges(peaks: list[int]) -> str:
    """Workers' peaks, as ``min-max (N processes)`` once there are many of them."""
    if len(peaks) <= 4:
        return ", ".join(mb(p) for p in peaks)
    return f"{mb(min(peaks))}-{mb(max(peaks))} ({len(peaks)} processes)"


def memory_table(sections: Sequence[Section]) -> list[str]:
    lines = [
        "### memory: peak RSS per process, 0 ms latency, sampled every 50 ms",
        "",
        "| scenarios | contender | wall s | worker peak MB (each) | worker own MB (max)"
        " | parent MB | tree MB | max proc MB (kernel) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for section in sections:
        for row in section.rows:
            if row.problem:
                lines.append(f"| {row.scenarios} | {row.contender.name} | FAILED: {row.problem}")
                continue
            workers = _ranges(row.worker_peaks())
            own = row.worker_private_peaks()
            lines.append(
                f"| {row.scenarios} | {row.contender.name} | {row.wall:.1f} | {workers}"
                f" | {mb(own[0]) if own else ''} | {mb(row.parent_peak())}"
                f" | {mb(row.tree_rss)} | {mb(row.maxrss)} |"
            )
    return lines


# -- targets ----------------------------------------------------------------------------------


def _verdict(ok: bool) -> str:
    return "MET   " if ok else "MISSED"


def speed_targets(balanced: Section | None, uneven: Section | None) -> list[str]:
    """Issue 20's targets, for workers started as fresh processes and forked."""
    lines: list[str] = []
    for how in ("", "-fork"):
        said = "forked" if how else "subprocess"
        if balanced is not None:
            il4, limit = balanced.row(f"interlock-4{how}"), balanced.row(LIMIT)
            bxf = balanced.row("behavex-feature-4")
            if il4 and limit:
                r = il4.wall / limit.wall
                lines.append(
                    f"{_verdict(r <= 1.10)} balanced, 4 workers ({said}) ≤ 1.10x the 4-thread"
                    f" limit: {il4.wall:.2f} s ÷ {limit.wall:.2f} s = {r:.2f}"
                )
            if il4 and bxf:
                r = il4.wall / bxf.wall
                lines.append(
                    f"       balanced, 4 workers ({said}) against behavex per feature:"
                    f" {il4.wall:.2f} s ÷ {bxf.wall:.2f} s = {r:.2f}"
                )
            il8, behave = balanced.row(f"interlock-8{how}"), balanced.row("behave")
            il1 = balanced.row("interlock-1")
            if il8 and behave:
                r = behave.wall / il8.wall
                serial = il1 or behave
                eff = serial.wall / (il8.wall * 8)
                lines.append(
                    f"{_verdict(r >= 6.5)} balanced, 8 workers ({said}) ≥ 6.5x plain behave:"
                    f" {behave.wall:.2f} s ÷ {il8.wall:.2f} s = {r:.2f}x; efficiency"
                    f" {serial.contender.name} ÷ (wall x 8) = {eff:.2f}"
                )
        if uneven is not None:
            il4, limit = uneven.row(f"interlock-4{how}"), uneven.row(LIMIT)
            if il4 and limit:
                r = il4.wall / limit.wall
                lines.append(
                    f"{_verdict(r <= 1.15)} uneven, 4 workers ({said}) ≤ 1.15x the limit:"
                    f" {il4.wall:.2f} s ÷ {limit.wall:.2f} s = {r:.2f}"
                )
            for name in ("behavex-feature-4", "behavex-scenario-4"):
                ref = uneven.row(name)
                if il4 and ref:
                    lines.append(
                        f"       uneven, {name} ÷ 4 workers ({said}):"
                        f" {ref.wall:.2f} s ÷ {il4.wall:.2f} s = {ref.wall / il4.wall:.2f}x"
                    )
    return lines


def cpu_targets(section: Section, baseline: str | None = None) -> list[str]:
    behave = section.row("behave")
    if behave is None:
        return []
    per = 1000 / section.suite.scenarios
    lines = []
    for suffix, whose in (("", ""), ("@base", f", baseline {baseline}")):
        for name, said in (("interlock-1", "subprocess"), ("interlock-1-fork", "forked")):
            il1 = section.row(name + suffix)
            if il1 is None:
                continue
            r = il1.cpu / behave.cpu
            paired = paired_ratio(il1, behave)
            lines.append(
                f"{_verdict(r <= 1.10)} CPU per scenario at 0 ms, 1 worker ({said}{whose}), lint"
                f" included, ≤ 1.10x behave with Allure: {il1.cpu * per:.2f} ms ÷"
                f" {behave.cpu * per:.2f} ms = {r:.2f}"
                + (f" (per round: {paired:.2f})" if paired is not None else "")
            )
        nolint = section.row("interlock-1-nolint" + suffix)
        if nolint:
            lines.append(
                f"       (subprocess{whose}, without the pre-run lint: {nolint.cpu * per:.2f} ms"
                f" ÷ {behave.cpu * per:.2f} ms = {nolint.cpu / behave.cpu:.2f})"
            )
    return lines


def memory_targets(sections: Sequence[Section]) -> list[str]:
    if len(sections) < 2:
        return []
    small, large = sections[0], sections[-1]
    lines = []
    for row in small.rows:
        other = large.row(row.contender.name)
        if row.problem or other is None or not row.worker_peaks() or not other.worker_peaks():
            continue
        a, b = max(row.worker_peaks()), max(other.worker_peaks())
        r = b / a
        what = "peak per worker (RSS)"
        if row.contender.fork and row.worker_private_peaks() and other.worker_private_peaks():
            # A forked worker's RSS counts the run's pages it shares (the run's parse
            # of the suite grows with it): its own memory is what it did not share.
            a, b = max(row.worker_private_peaks()), max(other.worker_private_peaks())
            r = b / a
            what = "own memory per worker (USS)"
        lines.append(
            f"{_verdict(r <= 1.10)} {row.contender.name}: {what} at {other.scenarios}"
            f" scenarios within 10% of {row.scenarios}: {b / MB:.0f} MB ÷ {a / MB:.0f} MB"
            f" = {r:.2f}"
        )
    return lines


# -- the whole run ----------------------------------------------------------------------------


def machine() -> str:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    cpu = model or platform.machine()
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}"


def revision(snapshot: str | None) -> str:
    def git(*args: str) -> str:
        out = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
        return out.stdout.strip()

    if snapshot:
        return f"interlock at {git('rev-parse', '--short', snapshot)} (snapshot of {snapshot})"
    dirty = " + uncommitted changes" if git("status", "--porcelain", "interlock", "steps") else ""
    return f"interlock working tree at {git('rev-parse', '--short', 'HEAD')}{dirty}"


SNAPSHOT = ("interlock", "interlock_steps", "steps", "environment.py", "pyproject.toml")


def export_snapshot(rev: str, into: Path) -> Path:
    """``git archive`` of one revision's packages (interlock, and interlock_steps where
    it exists), steps/, environment.py and pyproject.toml."""
    into.mkdir(parents=True)
    tree = subprocess.run(
        ["git", "ls-tree", "--name-only", rev],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    archive = subprocess.run(
        ["git", "archive", rev, *(name for name in SNAPSHOT if name in tree)],
        cwd=REPO,
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def _check_imported(source: Path, env: dict[str, str], work: Path) -> None:
    """The contenders run with ``env`` import interlock from ``source``."""
    for package in ("interlock", "interlock_steps"):
        if not (source / package).is_dir():
            continue
        imported = subprocess.run(
            [str(BIN / "python"), "-c", f"import {package}; print({package}.__file__)"],
            env=env,
            cwd=work,
            capture_output=True,
            text=True,
        )
        where = imported.stdout.strip()
        say(f"{package} imported from {where or imported.stderr.strip()}")
        if not where.startswith(str(source)):
            raise BenchError(f"{package} is not imported from {source}")


def _has_no_lint(env: dict[str, str]) -> bool:
    """Whether this interlock's ``run`` lints first (and so takes ``--no-lint``)."""
    shown = subprocess.run(
        [str(BIN / "interlock"), "run", "--help"], env=env, capture_output=True, text=True
    )
    return "--no-lint" in shown.stdout


def _compile(*paths: Path) -> None:
    """Byte-compile, as an installed package is: with PYTHONDONTWRITEBYTECODE set (it
    is on some machines) every process would otherwise compile these from source."""
    for path in paths:
        if path.is_dir():
            compileall.compile_dir(path, quiet=1)
        elif path.is_file():
            compileall.compile_file(path, quiet=1)


def _names(text: str | None, default: Sequence[str]) -> list[str]:
    if not text:
        return list(default)
    names = [n.strip() for n in text.split(",") if n.strip()]
    for name in names:
        Contender.parse(name)  # fail early on a typo
    return names


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scale", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--scenarios", type=int, help="scenarios in the suite (default 500)")
    parser.add_argument("--latency-ms", type=float, help="simulated latency (default 50)")
    parser.add_argument(
        "--suite",
        choices=["balanced", "uneven", "both", "none"],
        default="both",
        help="balanced: features of 25; uneven: one feature of half the suite + features of"
        " 25; none: only the CPU part",
    )
    parser.add_argument(
        "--contenders",
        help="comma-separated, e.g. behave,interlock-4 (default: each part's own list)",
    )
    parser.add_argument(
        "--cpu-contenders",
        help="comma-separated contenders of the 0 ms CPU part (default: requests-1t,"
        " behave-null, behave, interlock-1, interlock-1-nolint, interlock-1-fork; with"
        " --baseline, each interlock one also as <name>@base)",
    )
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help="also run this git revision's interlock in the CPU part (contenders"
        " <name>@base), interleaved with the benchmarked one: a before/after in one run",
    )
    parser.add_argument(
        "--cpu-repeats",
        type=int,
        help="interleaved runs of the 0 ms CPU part (default 3; 0 skips it)",
    )
    parser.add_argument("--memory", action="store_true", help="run only the memory check")
    parser.add_argument(
        "--memory-sizes", help="scenario counts of the memory check (default 1000,10000)"
    )
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument(
        "--snapshot",
        metavar="REV",
        default="HEAD",
        help="benchmark this git revision's interlock, steps and behave settings (default"
        " HEAD: a consistent tree even while someone edits interlock/)",
    )
    parser.add_argument(
        "--worktree",
        action="store_true",
        help="benchmark the working tree as it is instead of a snapshot",
    )
    parser.add_argument("--timeout", type=float, default=900, help="per contender run, seconds")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=120,
        help="before each contender, wait up to this many seconds for the machine to be"
        " idle (CPU under --quiet-percent); 0 never waits (default 120)",
    )
    parser.add_argument("--quiet-percent", type=float, default=10, help="default 10")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    args = parser.parse_args(argv)
    if args.worktree:
        args.snapshot = None
    quick = args.quick
    args.scenarios = args.scenarios or (40 if quick else 500)
    args.latency_ms = args.latency_ms if args.latency_ms is not None else (10 if quick else 50)
    if args.cpu_repeats is None:
        args.cpu_repeats = 1 if quick else 3
    sizes = args.memory_sizes or ("100,400" if quick else "1000,10000")
    args.memory_sizes = [int(x) for x in sizes.split(",")]
    if quick:
        args.quiet_wait = min(args.quiet_wait, 5)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    options = Options(args.timeout, args.quiet_percent, args.quiet_wait, args.memory)
    work = Path(tempfile.mkdtemp(prefix="interlock-scale-"))
    started = time.monotonic()
    baseline = f"; @base: {revision(args.baseline)}" if args.baseline else ""
    header = [
        f"## bench/scale run of {time.strftime('%Y-%m-%d %H:%M')}",
        "",
        f"machine: {machine()}; {revision(args.snapshot)}{baseline}",
        "",
    ]
    out: list[str] = []
    targets: list[str] = []
    sections: list[Section] = []
    try:
        source = REPO
        if args.snapshot:
            source = export_snapshot(args.snapshot, work / "snapshot")
            _compile(source / "interlock", source / "interlock_steps")
        env = python_path(source if args.snapshot else None)
        say(f"working folder {work}")
        _check_imported(source, env, work)
        base_env = None
        if args.baseline:
            base = export_snapshot(args.baseline, work / "baseline")
            _compile(base / "interlock", base / "interlock_steps")
            base_env = python_path(base)
            _check_imported(base, base_env, work)

        def suite(kind: str, n: int, latency: float) -> Suite:
            name = f"{kind}-{n}-{latency:g}ms"
            made = generate(work / name, kind, n, latency, source)
            _compile(made.root / "steps", made.root / "environment.py")
            return made

        if args.memory:
            names = _names(args.contenders, MEMORY_CONTENDERS)
            mem = [
                run_section(f"memory {n}", suite("balanced", n, 0), names, env, work, options)
                for n in args.memory_sizes
            ]
            sections += mem
            out += memory_table(mem)
            targets += memory_targets(mem)
        else:
            balanced = uneven = None
            kinds = {"both": ["balanced", "uneven"], "none": []}.get(args.suite, [args.suite])
            for kind in kinds:
                default = SPEED_BALANCED if kind == "balanced" else SPEED_UNEVEN
                names = _names(args.contenders, default)
                section = run_section(
                    f"{kind} suite",
                    suite(kind, args.scenarios, args.latency_ms),
                    names,
                    env,
                    work,
                    options,
                )
                sections.append(section)
                out += [*speed_table(section), ""]
                if kind == "balanced":
                    balanced = section
                else:
                    uneven = section
            targets += speed_targets(balanced, uneven)
            if args.cpu_repeats > 0:
                cpu_names = _names(args.cpu_contenders, CPU_CONTENDERS)
                if base_env is not None and not args.cpu_contenders:
                    cpu_names += [f"{n}@base" for n in cpu_names if n.startswith("interlock-")]
                if base_env is None and any(n.endswith("@base") for n in cpu_names):
                    raise BenchError("an @base contender needs --baseline REV")
                if not _has_no_lint(env):
                    cpu_names = [n for n in cpu_names if "-nolint" not in n or "@base" in n]
                if base_env is not None and not _has_no_lint(base_env):
                    cpu_names = [n for n in cpu_names if not n.endswith("-nolint@base")]
                cpu = run_section(
                    "CPU at 0 ms",
                    suite("balanced", args.scenarios, 0),
                    cpu_names,
                    env,
                    work,
                    options,
                    repeats=args.cpu_repeats,
                    base_env=base_env,
                )
                sections.append(cpu)
                out += [*cpu_table(cpu), ""]
                targets += cpu_targets(cpu, args.baseline)
    except BenchError as exc:
        say(str(exc))
        return 2
    finally:
        if args.keep:
            say(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    footer = ["", "targets (issue 20):", "", *(f"    {t}" for t in targets)]
    elapsed = f"(whole benchmark: {time.monotonic() - started:.0f} s)"
    print("\n".join([*header, *out, *footer, "", elapsed]))
    if args.json:
        args.json.write_text(json.dumps(_as_json(sections), indent=2))
    return 0


def _as_json(sections: Sequence[Section]) -> list[dict[str, object]]:
    data: list[dict[str, object]] = []
    for section in sections:
        for row in section.rows:
            data.append(
                {
                    "section": section.title,
                    "suite": asdict(section.suite) | {"root": str(section.suite.root)},
                    "contender": row.contender.name,
                    "problem": row.problem,
                    "runs": [
                        {
                            "wall": m.wall,
                            "cpu": m.cpu,
                            "code": m.code,
                            "maxrss": m.maxrss,
                            "tree_rss": m.tree_rss,
                            "processes": [asdict(p) for p in m.processes.values()],
                        }
                        for m in row.measurements
                    ],
                }
            )
    return data


if __name__ == "__main__":
    sys.exit(main())
