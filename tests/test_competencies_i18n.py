"""Competency gaps, and Chinese reports: labels, status words, CJK fonts."""
import pandas as pd
import pytest

import servicekpi as skpi
from servicekpi.report.sections import text
from servicekpi import i18n
from servicekpi.competencies import (DIMENSIONS, competency_gaps, dimension_label,
                                     dimension_labels, load_competencies,
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
    g = competency_gaps(assessments(), targets(), team="t").set_index("dimension")
    assert g.loc["product_expertise", "mean"] == pytest.approx(4.0)
    assert g.loc["product_expertise", "gap"] == pytest.approx(0.0)
    assert g.loc["process_discipline", "gap"] == pytest.approx(4 - 8 / 3)
    assert g.loc["communication", "target"] == 4.5          # the team's own target wins
    assert g.loc["communication", "share_below"] == pytest.approx(2 / 3)
    assert g.loc["digital_literacy", "people"] == 3
    # a dimension the target profile leaves out: no target, so no share below it
    # (the table showed 'nan' and a false 0%)
    partial = targets()
    partial = partial[partial["dimension"] != "product_expertise"]
    g = competency_gaps(assessments(), partial, team="t").set_index("dimension")
    assert g.loc["product_expertise", "mean"] == pytest.approx(4.0)
    assert pd.isna(g.loc["product_expertise", "target"])
    assert pd.isna(g.loc["product_expertise", "share_below"])


def test_dimension_names_come_from_the_catalogue():
    import servicekpi.competencies as module
    assert not hasattr(module, "largest_gaps") and not hasattr(module, "LABELS_ZH")
    assert dimension_label("process_discipline") == "Process discipline"
    assert dimension_label("process_discipline", "zh") == "流程规范"
    assert list(dimension_labels("zh")) == list(DIMENSIONS)
    assert all(i18n.has_cjk(v) for v in dimension_labels("zh").values())
    with pytest.raises(skpi.InvalidArgument, match="unknown competency dimension"):
        dimension_label("empathy")
    # the analysis gives codes, not names
    assert "label" not in competency_gaps(assessments(), targets(), team="t").columns


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
    from servicekpi.status import Status
    assert Status("off_track").label("zh") == "偏离目标"
    assert Status("off_track").label() == "off track"
    assert text("summary", "zh") == "## 摘要"
    sections = [k.rsplit(".", 1)[1] for k in i18n.catalogue("en")
                if k.startswith("report.section.")]
    assert "gaps" in sections
    for key in sections:                 # every section has a heading in both languages
        assert all(text(key, lang).startswith("#") for lang in i18n.LANGUAGES), key


def test_grade_words():
    """A grade code in words (the catalogue's grade.<code>); anything else as
    text, no grade as a dash."""
    assert [i18n.grade_words(g) for g in "ABCD"] == [i18n.msg(f"grade.{g}") for g in "ABCD"]
    assert [i18n.grade_words(g, "zh") for g in "ABCD"] == ["优秀", "良好", "合格", "不合格"]
    assert i18n.grade_words("E") == "E" and i18n.grade_words(3) == "3"
    assert i18n.grade_words(None) == i18n.grade_words(float("nan"), "zh") == "–"
    assert i18n.grade_words("") == "–"


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
