"""``export FLOW --target ...``: the body offline, the capability report on stderr, exit 0 or 1."""

from __future__ import annotations

import json

import pytest

from designer.cli import main
from tests.publish.schemas import errors
from tests.publish.test_klaviyo_compile import EXAMPLES, ROOT, SCHEMA


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_export_klaviyo_writes_a_body_the_schema_accepts(path, tmp_path, capsys):
    out = tmp_path / "body.json"
    code = main(["export", str(path), "--target", "klaviyo", "--out", str(out)])
    err = capsys.readouterr().err
    body = json.loads(out.read_text())
    assert errors(SCHEMA, body) == []
    # Exit 1 exactly when the report has an error line.
    assert code == (1 if ": error: " in err else 0)


def test_export_reports_the_gap_and_exits_1(capsys):
    code = main(["export", str(ROOT / "flows" / "abandoned_cart.json"), "--target", "klaviyo"])
    captured = capsys.readouterr()
    assert code == 1
    assert "settings.quiet_hours" in captured.err
    assert json.loads(captured.out)["data"]["type"] == "flow"


def test_export_of_a_flow_without_gaps_exits_0(capsys):
    assert main(["export", str(ROOT / "flows" / "welcome_series.json"), "--target", "klaviyo"]) == 0


def test_export_refuses_a_flow_with_validation_errors(tmp_path, capsys):
    data = json.loads((ROOT / "flows" / "welcome_series.json").read_text())
    data["edges"] = []
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    assert main(["export", str(bad), "--target", "klaviyo"]) == 1
    assert "the flow has errors" in capsys.readouterr().err


def test_json_export_inlines_templates(tmp_path, capsys):
    flow = json.loads((ROOT / "flows" / "welcome_series.json").read_text())
    (tmp_path / "flow.json").write_text(json.dumps(flow))
    (tmp_path / "templates").mkdir()
    names = {n["config"]["template"] for n in flow["nodes"] if n["kind"] == "send_email"}
    for name in names:
        (tmp_path / "templates" / f"{name}.html").write_text(f"<p>{name}</p>")
    out = tmp_path / "out.json"
    assert main(["export", str(tmp_path / "flow.json"), "--target", "json", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["templates"] == {n: f"<p>{n}</p>" for n in sorted(names)}
    assert data["nodes"] == flow["nodes"]


def test_unreadable_flow_exits_2(tmp_path, capsys):
    (tmp_path / "x.json").write_text("{")
    assert main(["export", str(tmp_path / "x.json"), "--target", "klaviyo"]) == 2
