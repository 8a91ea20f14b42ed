"""A backtest counts sends whose template cannot render under ``template_error`` (simulate --json)."""

from __future__ import annotations

import json
from pathlib import Path

from designer.cli import main
from designer.engine import send_checks
from designer.engine.simulate import simulate
from designer.model import io

FLOW = Path(__file__).resolve().parents[2] / "flows" / "abandoned_cart.json"


def test_simulate_json_counts_template_errors_per_node(shop, tmp_path, capsys):
    broken = tmp_path / "cart.json"
    broken.write_text(FLOW.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "templates").mkdir()  # the flow's own cart_reminder_2 uses a name no message has
    (tmp_path / "templates" / "cart_reminder_2.html").write_text("<p>{{ coupon_code }}</p>", encoding="utf-8")

    assert main(["simulate", str(FLOW), "--db", str(shop), "--json", "--no-save"]) == 0
    good = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert main(["simulate", str(broken), "--db", str(shop), "--json", "--no-save"]) == 0
    bad = json.loads(capsys.readouterr().out.splitlines()[-1])

    sent_before = good["nodes"]["n11"]["messages"]
    assert sent_before > 0 and "template_error" not in good["nodes"]["n11"]["skipped"]
    # Every message n11 would have sent is a template_error now; the other sends are as they were.
    assert bad["nodes"]["n11"]["messages"] == 0
    assert bad["nodes"]["n11"]["skipped"]["template_error"] == sent_before + sum(
        good["nodes"]["n11"]["skipped"].values()) - sum(
        v for k, v in bad["nodes"]["n11"]["skipped"].items() if k != "template_error")
    assert bad["nodes"]["n5"]["messages"] == good["nodes"]["n5"]["messages"]
    assert send_checks._checks == []  # the command's check ends with its run


def test_a_template_that_does_not_exist_yet_is_not_a_template_error(shop, tmp_path, capsys):
    data = json.loads(FLOW.read_text(encoding="utf-8"))
    for node in data["nodes"]:
        if node["id"] == "n11":
            node["config"]["template"] = "not_written_yet"
    draft = tmp_path / "draft.json"
    draft.write_text(json.dumps(data), encoding="utf-8")
    assert main(["simulate", str(draft), "--db", str(shop), "--json", "--no-save"]) == 0
    figures = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert figures["nodes"]["n11"]["messages"] > 0 and "template_error" not in figures["nodes"]["n11"]["skipped"]


def test_the_engine_alone_knows_nothing_of_templates(shop, tmp_path):
    flow = io.load(FLOW)
    flow.nodes["n11"].config["template"] = "no_such_template"
    result = simulate(flow, shop, save=False, workers=1)
    assert "template_error" not in result.nodes["n11"].skipped and result.nodes["n11"].messages > 0
