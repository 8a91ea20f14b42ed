"""The command line's one rule, run as a user runs it (real ``python main.py`` processes):
0 done, 1 the input has problems, 2 the command could not run, 3 an internal error
printed as one line naming a crash report in the app data folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from designer import EXAMPLE_FLOWS, ROOT

EXAMPLE = EXAMPLE_FLOWS / "abandoned_cart.json"


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, TRIGGER_FLOW_DATA_DIR=str(tmp_path / "data"), QT_QPA_PLATFORM="offscreen")
    env.update(extra)
    return env


def run(tmp_path: Path, *args: str, env: dict[str, str] | None = None, script: str | None = None):
    command = [sys.executable, "-c", script, *args] if script else [sys.executable, str(ROOT / "main.py"), *args]
    proc = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env=env or env_for(tmp_path), stdin=subprocess.DEVNULL)
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc


def test_success_exits_0(tmp_path):
    assert run(tmp_path, "validate", str(EXAMPLE)).returncode == 0


def test_a_flow_with_errors_exits_1_naming_it(tmp_path):
    data = json.loads(EXAMPLE.read_text())
    data["edges"].append({"from": "n6", "to": "n5"})
    flow = tmp_path / "cycle.json"
    flow.write_text(json.dumps(data))
    proc = run(tmp_path, "validate", str(flow))
    assert proc.returncode == 1 and "error cycle" in proc.stdout


def test_a_missing_file_exits_2(tmp_path):
    proc = run(tmp_path, "validate", str(tmp_path / "nothere.json"))
    assert proc.returncode == 2 and "nothere.json" in proc.stderr


@pytest.mark.parametrize("url,said", [
    ("nonsense://x", "unsupported database"),
    ("file:///x", "unsupported database"),
])
def test_bad_store_settings_exit_2_with_a_message(tmp_path, url, said):
    proc = run(tmp_path, "stats", "--db", url)
    assert proc.returncode == 2 and said in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_a_missing_driver_names_the_package_to_install(tmp_path):
    try:  # the driver is an optional extra; skip where it happens to be installed
        import psycopg  # noqa: F401
        pytest.skip("psycopg is installed here")
    except ImportError:
        pass
    proc = run(tmp_path, "stats", "--db", "postgresql+psycopg://shop:s3cret@localhost:1/shop")
    assert proc.returncode == 2 and "pip install psycopg" in proc.stderr
    assert "s3cret" not in proc.stderr


@pytest.mark.parametrize("args", [["score", "--report"], ["audit", "1", "--customer", "c1"]])
def test_a_mistyped_store_path_is_named_and_never_created(tmp_path, args):
    missing = tmp_path / "shpo.db"
    proc = run(tmp_path, *args, "--db", str(missing))
    assert proc.returncode == 2 and f"{missing}: no such store" in proc.stderr
    assert not missing.exists()


def test_unknown_command_names_it_and_lists_commands_without_starting_the_editor(tmp_path):
    # No display and no offscreen platform: were the editor started, this would fail differently.
    env = env_for(tmp_path, DISPLAY=":97")
    env.pop("QT_QPA_PLATFORM")
    proc = run(tmp_path, "frobnicate", str(EXAMPLE), env=env)
    assert proc.returncode == 2
    assert "unknown command 'frobnicate'" in proc.stderr
    assert "validate" in proc.stderr and "simulate" in proc.stderr and "screenshot" in proc.stderr
    assert "editor" not in proc.stderr


def test_a_missing_flow_file_is_not_an_unknown_command(tmp_path):
    proc = run(tmp_path, str(tmp_path / "draft.json"))
    assert proc.returncode == 2 and "no such flow file" in proc.stderr


# A real internal error in a real command: validate's checker replaced by one that fails.
BROKEN_VALIDATE = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    import designer.commands.validate as command
    def broken(flow):
        return 1 / 0
    command.validate = broken
    from designer.cli import main
    sys.exit(main(sys.argv[1:]))
""")


def test_an_internal_error_is_one_line_pointing_to_a_crash_report(tmp_path):
    proc = run(tmp_path, "validate", str(EXAMPLE), script=BROKEN_VALIDATE.format(root=str(ROOT)))
    assert proc.returncode == 3
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "internal error (ZeroDivisionError)" in lines[0]
    reports = list((tmp_path / "data" / "crash-reports").glob("crash-*.txt"))
    assert len(reports) == 1 and str(reports[0]) in lines[0]
    text = reports[0].read_text()
    assert "Traceback" in text and "ZeroDivisionError" in text and "main.py validate" in text


def test_a_crash_report_never_holds_a_password(tmp_path, monkeypatch):
    from designer.crash import write_report

    monkeypatch.setenv("TRIGGER_FLOW_DATA_DIR", str(tmp_path / "data"))
    try:
        raise RuntimeError("cannot reach postgresql://shop:hunter2@db.example/shop")
    except RuntimeError as exc:
        report = write_report(exc, ["simulate", "--db", "postgresql://shop:hunter2@db.example/shop"])
    text = report.read_text()
    assert report.parent == tmp_path / "data" / "crash-reports"
    assert "hunter2" not in text and "postgresql://shop:***@db.example/shop" in text


def test_a_crash_report_keeps_the_command_options_and_files_but_no_other_value(tmp_path, monkeypatch):
    from designer.crash import write_report

    monkeypatch.setenv("TRIGGER_FLOW_DATA_DIR", str(tmp_path / "data"))
    store = tmp_path / "shop.db"
    store.write_bytes(b"")
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        report = write_report(exc, ["forget", "ana@example.com", "--db", str(store), "c\x00id"])
    text = report.read_text()
    assert f"command: main.py forget <value> --db {store} <value>" in text
    assert "ana@example.com" not in text


def test_command_modules_do_not_import_the_command_line_that_imports_them(tmp_path):
    """Each registered module loads on its own, without designer.cli (no import cycle)."""
    script = textwrap.dedent("""
        import importlib, sys
        sys.path.insert(0, {root!r})
        import ast, pathlib
        source = pathlib.Path({root!r}, "designer", "cli.py").read_text()
        tree = ast.parse(source)
        names = next(ast.literal_eval(n.value) for n in tree.body
                     if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "COMMAND_MODULES")
        for name in names:
            importlib.import_module(name)
        assert "designer.cli" not in sys.modules, "a command module imports designer.cli"
        print(len(names))
    """).format(root=str(ROOT))
    proc = run(tmp_path, script=script)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout) >= 4


def test_command_error_is_still_importable_from_the_command_line():
    from designer import cli
    from designer.commands import errors

    assert cli.CommandError is errors.CommandError
    assert (cli.OK, cli.INPUT, cli.CANNOT_RUN, cli.INTERNAL) == (0, 1, 2, 3)


def test_a_command_wins_over_a_file_of_the_same_name(tmp_path):
    (tmp_path / "validate").write_text("{}")
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "validate", str(EXAMPLE)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, env=env_for(tmp_path), stdin=subprocess.DEVNULL)
    assert proc.returncode == 0 and proc.stdout == ""
