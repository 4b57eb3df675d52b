"""Competency gaps, and Chinese reports: labels, status words, CJK fonts."""
import numpy as np
import pandas as pd
import pytest

import servicekpi as skpi
from servicekpi import i18n
from servicekpi.competencies import (competency_gaps, largest_gaps, load_competencies,
                                     load_competency_targets)


def assessments():
    rows = []
    for person, scores in {"a": [4, 3, 4, 2, 5], "b": [3, 3, 5, 4, 4],
                           "c": [5, 2, 3, 3, 3]}.items():
        for dim, s in zip(["product_expertise", "process_discipline", "adaptability",
                           "digital_literacy", "communication"], scores):
            rows.append({"person": person, "team": "T", "dimension": dim, "score": s})
    return load_competencies(None, frame=pd.DataFrame(rows).astype(str))


def targets():
    return load_competency_targets(None, frame=pd.DataFrame({
        "dimension": ["Product expertise", "process-discipline", "adaptability",
                      "digital literacy", "communication", "communication"],
        "target": ["4", "4", "3.5", "3.5", "4", "4.5"], "team": ["", "", "", "", "", "T"]}))


def test_team_gaps_by_hand():
    g = competency_gaps(assessments(), targets(), "t").set_index("dimension")
    assert g.loc["product_expertise", "mean"] == pytest.approx(4.0)
    assert g.loc["product_expertise", "gap"] == pytest.approx(0.0)
    assert g.loc["process_discipline", "gap"] == pytest.approx(4 - 8 / 3)
    assert g.loc["communication", "target"] == 4.5          # the team's own target wins
    assert g.loc["communication", "share_below"] == pytest.approx(2 / 3)
    assert g.loc["digital_literacy", "people"] == 3


def test_largest_gaps_by_hand():
    worst = largest_gaps(assessments(), targets(), "t")
    # c: 0 + 2 + 0.5 + 0.5 + 1.5 = 4.5; a: 0 + 1 + 0 + 1.5 + 0 = 2.5; b: 1 + 1 + 0 + 0 + 0.5
    assert worst["person"].tolist() == ["c", "a", "b"]
    assert worst["total_shortfall"].tolist() == [4.5, 2.5, 2.5]
    assert worst.loc[0, "largest_gap_in"] == "Process discipline"


def test_competency_contract():
    bad = pd.DataFrame({"person": ["a", "a", "b"], "team": ["T", "T", "T"],
                        "dimension": ["empathy", "communication", "communication"],
                        "score": ["3", "4", "7"]})
    bad.loc[1, "dimension"] = "adaptability"
    bad = pd.concat([bad, bad.iloc[[1]]], ignore_index=True)
    with pytest.raises(skpi.DataError) as ei:
        load_competencies(None, frame=bad)
    cols = {p.column for p in ei.value.problems}
    assert {"dimension", "score", "person+dimension"} <= cols


def test_status_words_and_text():
    assert i18n.status_word("off_track", "zh") == "偏离目标"
    assert i18n.status_word("off_track") == "off track"
    assert i18n.text("summary", "zh") == "## 摘要"
    assert all(len(v) == 2 and all(v) for v in i18n.TEXT.values())


def test_no_cjk_font_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(i18n, "find_cjk_font", lambda rescan=True: None)
    with pytest.raises(skpi.ReportError, match="fonts-noto-cjk"):
        i18n.use_cjk_font()


def test_cjk_font_draws_chinese():
    if i18n.find_cjk_font() is None:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk; .ci/run does)")
    import warnings

    import matplotlib.pyplot as plt
    i18n.use_cjk_font()
    fig, ax = plt.subplots()
    ax.set_title("首次解决率")
    with warnings.catch_warnings():
        warnings.simplefilter("error")           # "Glyph ... missing" would be an error
        fig.canvas.draw()
