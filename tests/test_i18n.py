"""The message catalogue, English words in Chinese text, units and numbers in
both languages, and Chinese figure fonts whatever matplotlib's font cache holds."""
import json
import math
import os
import re
import subprocess
import sys
from datetime import date

import pytest

import servicekpi as skpi
from servicekpi import i18n
from servicekpi.catalogue import Unit, default_catalogue, perspective_label
from servicekpi.params import parameter_words
from servicekpi.report.sections import text
from servicekpi.status import Status

CAT = default_catalogue()
#: What a message holds that is not text a reader sees as words: its {fields}, HTML
#: entities (&nbsp;) and the file names it quotes (data).
#: ... and what a message quotes as written (「Export > Excel」, a system's menu)
NOT_WORDS = re.compile(r"\{[^{}]*\}|&#?\w+;|[\w.-]+\.(?:csv|xlsx|yaml|json|html|ipynb)\b"
                       r"|「[^」]*」")


# ------------------------------------------------------------------ catalogue
def test_every_message_in_both_languages_with_the_same_fields():
    en, zh = i18n.catalogue("en"), i18n.catalogue("zh")
    assert sorted(set(en) - set(zh)) == [] and sorted(set(zh) - set(en)) == []
    differ = {k: (i18n.fields(k, "en"), i18n.fields(k, "zh"))
              for k in en if i18n.fields(k, "en") != i18n.fields(k, "zh")}
    assert not differ


def test_no_english_word_in_a_chinese_message():
    allow = i18n.ALLOWED_WORDS | parameter_words()
    found = {k: words for k, v in i18n.catalogue("zh").items()
             if (words := i18n.english_words(NOT_WORDS.sub("", v), allow))}
    assert not found


def test_english_words():
    assert i18n.english_words("“why”一栏（progress from baseline）") == ["why", "progress",
                                                                     "from", "baseline"]
    # acronyms and model names pass; single letters, numbers and symbols are not words
    assert i18n.english_words("NPS与CSAT的ETS预测，MASE < 1，z = 2.1，p图，F检验，3.6 分钟") == []
    assert i18n.english_words("缺少 is_complaint 列，模型 ets_ann，第p90位") == ["is_complaint",
                                                                            "ets_ann"]
    assert i18n.english_words("缺少 is_complaint 列", i18n.ALLOWED_WORDS
                              | parameter_words()) == []
    assert i18n.english_words("团队 Plans 的 KPIs", i18n.ALLOWED_WORDS | {"Plans"}) == ["KPIs"]


def test_parameter_words_are_what_users_type_not_what_readers_read():
    words = parameter_words()
    assert {"targets", "kpi_table", "include_partial_period", "is_complaint", "decimal",
            "drop", "true"} <= words
    assert not words & {"team", "period", "value", "month", "week", "quarter"}


def test_section_texts_and_notes_read_from_the_catalogue():
    from servicekpi.gaps import MIN_N
    assert text("summary", "zh") == "## 摘要"
    gaps = text("gaps", "zh")
    assert "{" not in gaps and f"少于{MIN_N}个观测" in gaps
    assert "“原因”一栏" in gaps and "“距基线进度”" in gaps      # the gap table's zh headers
    assert text("scorecard", "en").count("{bands}") == 1      # filled by the report
    assert i18n.note("no_peers", "zh", period="2026-10", min_n=20) == (
        "2026-10没有其他团队在相同指标上有基于至少20个观测的数值，因此无法在团队间排名。")
    with pytest.raises(skpi.ReportError, match="needs the value"):
        i18n.note("no_peers", "en")
    with pytest.raises(skpi.ReportError, match="no message"):
        text("nonesuch")


def test_partial_label_and_days():
    day = date(2026, 10, 13)
    assert i18n.partial_label("2026-10", day) == "2026-10 (partial, to 13 Oct)"
    assert i18n.partial_label("2026-10", day, "zh") == "2026-10（不完整，截至10月13日）"
    assert i18n.day_words(day, "zh") == "2026年10月13日"


def test_status_words_come_from_the_status_enum_only():
    assert not hasattr(i18n, "STATUS") and not hasattr(i18n, "status_word")
    assert Status("off_track").label("zh") == i18n.msg("status.off_track", "zh") == "偏离目标"


# ------------------------------------------------------------------ units and numbers
FR = CAT["median_first_response_hours"]        # stored in hours


@pytest.mark.parametrize("typical_hours, code, scale", [
    (30 / 3600, "s", 3600), (3.6 / 60, "min", 60), (5.0, "h", 1), (72.0, "d", 1 / 24)])
def test_display_unit_reads_best_for_the_typical_value(typical_hours, code, scale):
    values = [typical_hours * f for f in (0.8, 1.0, 1.1)] + [math.nan]
    assert FR.display_unit(values) == Unit(code, scale)


def test_display_unit_of_other_kpis_is_their_own():
    assert CAT["fcr_rate"].display_unit([0.7, 0.8]) == Unit("share", 1.0)
    assert CAT["aht_minutes"].display_unit([4.0, 5.0]) == Unit("min", 1.0)   # stored in minutes
    assert FR.display_unit([]) == Unit("h", 1.0)


def test_values_in_one_unit_in_both_languages():
    minutes = Unit("min", 60)
    assert FR.fmt(0.06, unit=minutes) == "3.6 min"
    assert FR.fmt(0.06, unit=minutes, language="zh") == "3.6 分钟"
    assert FR.fmt(2.5, unit=minutes) == "150.0 min"              # the unit given, not adaptive
    assert FR.fmt(2.5) == "2.5 h" and FR.fmt(2.5, language="zh") == "2.5 小时"
    assert FR.fmt_change(-0.01, unit=minutes, language="zh") == "-0.6 分钟"
    assert FR.fmt_change(0.01, unit=minutes) == "+0.6 min"
    assert FR.fmt(float("nan")) == "–"


def test_a_value_rounding_to_zero_has_no_sign():
    assert FR.fmt(-0.0001) == "0 s"
    assert FR.fmt_change(-0.0001) == "0 s"
    assert FR.fmt_change(-1e-9, unit=Unit("min", 60)) == "0.0 min"     # float noise
    assert CAT["fcr_rate"].fmt_change(-0.0004) == "0.0 pp"
    assert CAT["nps"].fmt(-0.2) == "0"


def test_a_non_zero_value_in_the_teams_unit_never_reads_zero():
    # 1.7 min in a team's hours, a pace of 0.02 days: two significant digits
    assert FR.fmt(1.7 / 60, unit=Unit("h", 1), language="zh") == "0.028 小时"
    assert FR.fmt_change(0.02 * 24, unit=Unit("d", 1 / 24)) == "+0.02 d"
    assert FR.fmt_change(-0.0001, unit=Unit("min", 60)) == "-0.006 min"
    assert CAT["fcr_rate"].fmt_change(0.0004, unit=Unit("share")) == "+0.04 pp"
    assert FR.fmt(2.5, unit=Unit("h", 1)) == "2.5 h"                  # others as before


def test_a_value_short_of_its_target_never_reads_as_the_target():
    csat = CAT["csat_pct"]                                   # higher is better, {:.1%}
    assert csat.fmt_pair(0.921875, 0.9221) == ("92.19%", "92.21%")
    assert csat.fmt(0.921875, against=0.9221) == "92.19%"
    assert csat.fmt_pair(0.9223, 0.9221) == ("92.2%", "92.2%")   # met: as usual
    assert csat.fmt_pair(0.92210000001, 0.9221) == ("92.2%", "92.2%")
    assert FR.fmt_pair(0.0601, 0.06, unit=Unit("min", 60)) == ("3.61 min", "3.60 min")
    assert CAT["nps"].fmt_pair(29.6, 30.4) == ("+29.6", "+30.4")
    assert csat.fmt_pair(float("nan"), 0.9) == ("–", "90.0%")


def test_a_score_never_reads_as_a_mark_it_has_not_reached():
    from servicekpi.catalogue import fmt_score
    assert fmt_score(99.75) == "99.7" and fmt_score(89.96) == "89.9"
    assert fmt_score(57.7) == "57.7" and fmt_score(100) == "100.0"
    assert fmt_score(float("nan")) == fmt_score(None) == "–"


def test_a_probability_reads_as_the_status_thresholds_compare_it():
    """Floored to a whole percent: 0.495 is below one half (49%), 0.6996 is below
    the 70% of "on track" (69%, at risk), 0.57 (a float just below it) is 57%, a
    share of 1,000 paths just under 30% is 29%, and only a certainty is 100%."""
    from servicekpi.catalogue import fmt_probability
    assert fmt_probability(0.495) == "49%" and fmt_probability(0.6996) == "69%"
    assert fmt_probability(0.7) == "70%" and fmt_probability(0.1 + 0.2) == "30%"
    assert fmt_probability(0.57) == "57%" and fmt_probability(299 / 1000) == "29%"
    assert fmt_probability(0.999) == "99%" and fmt_probability(1) == "100%"
    assert fmt_probability(0) == "0%" and fmt_probability(0.004) == "0%"
    assert fmt_probability(float("nan")) == fmt_probability(None) == "–"


def test_points_add_up_to_the_score_as_shown():
    """Worked by hand: 8.406 + 12.955 + 21.267 = 42.628, shown 42.6; floored
    tenths 84 + 129 + 212 = 425, one tenth short, given to the largest remainder
    (21.267's .67): 8.4, 12.9, 21.3."""
    from servicekpi.catalogue import fmt_parts, fmt_score
    assert fmt_score(42.628) == "42.6"
    assert fmt_parts([8.406, 12.955, 21.267]) == ["8.4", "12.9", "21.3"]
    assert fmt_parts([33.34, 33.33, 33.33]) == ["33.4", "33.3", "33.3"]   # 100.0
    assert fmt_parts([66.666666]) == ["66.6"]                              # as fmt_score
    assert fmt_parts([57.7, float("nan"), 0.0]) == ["57.7", "–", "0.0"]
    # three (six) equal weights, every target at 100: the points add up to 100.0
    assert fmt_parts([100 / 3] * 3) == ["33.4", "33.3", "33.3"]
    assert fmt_parts([100 / 6] * 6) == ["16.7", "16.7", "16.7", "16.7", "16.6", "16.6"]
    assert fmt_parts([10 / 3] * 3) == ["3.4", "3.3", "3.3"]
    assert fmt_parts([]) == []


def test_a_share_done_reads_complete_only_when_it_is():
    """Progress and the scored share of the weight are rounded towards zero: 0.996
    reads 99%, never the 100% of a target reached or a full coverage, and a
    progress of -9.04% reads -9%, not the -10% a floor would make of it."""
    from servicekpi.report.common import done_share
    assert done_share(0.996) == "99%" and done_share(0.999999) == "99%"
    assert done_share(1) == "100%" and done_share(1.2) == "120%"
    assert done_share(0.65) == "65%" and done_share(0) == "0%"
    assert done_share(-0.25) == "-25%" and done_share(-0.0904) == "-9%"      # towards zero
    assert done_share(-0.760) == "-76%" and done_share(-0.004) == "0%"
    assert done_share(float("nan")) == done_share(None) == "–"


def test_a_bad_number_format_is_refused():
    from servicekpi.catalogue import KPIDef
    for bad in ("{:d}", "{0} {1}", "{x}", "{0.y}", "{:.1%"):
        with pytest.raises(ValueError, match="not a Python format string"):
            KPIDef(label="x", unit="count", format=bad, direction="higher",
                   perspective="customer")


def test_shares_change_in_percentage_points():
    fcr = CAT["fcr_rate"]
    assert fcr.fmt(0.756) == fcr.fmt(0.756, language="zh") == "75.6%"
    assert fcr.fmt_change(0.0123) == "+1.2 pp"
    assert fcr.fmt_change(-0.0123, language="zh") == "-1.2 个百分点"


def test_unit_words_in_formats_and_axis_labels():
    training = CAT["training_hours"]
    assert training.fmt(12) == "12.0 h" and training.fmt(12, language="zh") == "12.0 小时"
    assert FR.unit_words("zh", Unit("d", 1 / 24)) == "天" and FR.unit_words() == "h"
    assert CAT["fcr_rate"].unit_words("zh") == "%"
    assert FR.axis_label("en", Unit("min", 60)) == "Median first response time (min)"
    assert FR.axis_label("zh", Unit("min", 60)) == "首次响应时间中位数（分钟）"
    assert CAT["fcr_rate"].axis_label("zh") == "首次解决率（%）"
    assert CAT["csat_score"].axis_label("zh") == "客户满意度均分（1-5分制）"
    custom = CAT["cost_per_ticket"].model_copy(update={"unit": "EUR"})
    assert custom.axis_label("zh") == "单票成本（EUR）"          # a unit not known: as written


def test_every_kpi_has_chinese_words():
    for name in CAT:
        d = CAT[name]
        assert i18n.has_cjk(d.label_text("zh")) and i18n.has_cjk(d.definition_text("zh")), name
        assert d.definition_text("en") == d.definition and not i18n.has_cjk(d.definition)
        words = i18n.english_words(d.definition_text("zh"),
                                   i18n.ALLOWED_WORDS | parameter_words())
        assert not words, (name, words)


def test_perspectives_and_directions_in_words():
    assert CAT["fcr_rate"].direction_text("zh") == "越高越好"
    assert CAT["volume"].direction_text() == "neither way is better"
    assert perspective_label("customer", "zh") == "客户"
    assert perspective_label("internal_process") == "internal process"
    with pytest.raises(skpi.InvalidArgument):
        perspective_label("sales")


def test_unknown_kpi_is_an_invalid_argument():
    with pytest.raises(skpi.InvalidArgument, match="'nope' is not in the catalogue"):
        CAT["nope"]


def test_a_duration_needs_a_unit_of_time(tmp_path):
    p = tmp_path / "catalogue.yaml"
    p.write_text("kpis:\n  wait:\n    label: Wait\n    unit: days\n    format: duration\n"
                 "    direction: lower\n    perspective: customer\n")
    with pytest.raises(skpi.ConfigError, match="hours or minutes"):
        skpi.load_catalogue(p)


# ------------------------------------------------------------------ fonts
#: Build, in a fresh MPLCONFIGDIR, the font cache of a machine whose CJK fonts were
#: installed after matplotlib first ran: the cache lists no CJK font.  Prints whether
#: a fresh scan finds a bold CJK face on this machine.
STALE_CACHE = r"""
import json
from pathlib import Path
import matplotlib
from matplotlib import font_manager as fm
from servicekpi import i18n
fresh = fm.fontManager
cjk = {f.name for f in fresh.ttflist if f.name in i18n.CJK_FAMILIES or "CJK" in f.name}
system_bold = any(i18n.has_bold(name) for name in cjk)
fresh.ttflist = [f for f in fresh.ttflist if f.name not in cjk]
cache = Path(matplotlib.get_cachedir()) / f"fontlist-v{fm.FontManager.__version__}.json"
fm.json_dump(fresh, cache)
print(json.dumps({"system_bold": system_bold}))
"""

#: Draw Chinese titles, labels and the team report's heatmap with that cache, every
#: matplotlib warning logged kept and every Python warning an error.
DRAW = r"""
import json, logging, sys, warnings
import matplotlib
matplotlib.use("Agg")
from matplotlib import font_manager
assert not any("CJK" in f.name for f in font_manager.fontManager.ttflist), "cache lists CJK"
from servicekpi import i18n, plots
if sys.argv[1] == "packaged":          # a machine without CJK fonts: the mplfonts one only
    i18n.cjk_font_files = lambda: ()
    matplotlib.rcParams["axes.titleweight"] = "bold"     # a style asking for bold titles
    matplotlib.rcParams["figure.titleweight"] = "bold"
logged = []
class Keep(logging.Handler):
    def emit(self, record):
        logged.append(record.getMessage())
logging.getLogger("matplotlib").addHandler(Keep())
warnings.simplefilter("error")
family = i18n.use_cjk_font()
import matplotlib.pyplot as plt
import pandas as pd
fig, (ax, heat) = plt.subplots(1, 2)
ax.set_title("首次解决率")
fig.suptitle("团队报告")
if sys.argv[2] == "bold":
    ax.set_xlabel("粗体标签", fontweight="bold")
plots.peer_heatmap(pd.DataFrame({"满意度": [80.0, 20.0]}, index=["甲组", "乙组"]), team="甲组",
                   ax=heat)
fig.canvas.draw()
print(json.dumps({"family": family, "bold": i18n.has_bold(family), "logged": logged,
                  "titleweight": matplotlib.rcParams["axes.titleweight"]}))
"""


def _run(code, tmp_path, *args):
    env = {**os.environ, "MPLCONFIGDIR": str(tmp_path), "MPLBACKEND": "Agg"}
    out = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "findfont" not in out.stderr, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_bold_chinese_with_a_cache_that_lists_no_cjk_font(tmp_path):
    """Noto CJK installed after matplotlib built its cache: the font files are
    registered, bold included, and bold Chinese text finds a bold face."""
    system_bold = _run(STALE_CACHE, tmp_path)["system_bold"]
    if not system_bold:
        pytest.skip("no bold CJK font installed (apt-get install fonts-noto-cjk; .ci/run does)")
    out = _run(DRAW, tmp_path, "system", "bold")
    assert out["logged"] == []
    assert out["bold"] and out["family"] in i18n.CJK_FAMILIES


def test_no_bold_chinese_without_a_bold_face(tmp_path):
    """Only the packaged regular face: titles are drawn in normal weight, even
    under a style asking for bold, and the heatmap asks for no bold."""
    _run(STALE_CACHE, tmp_path)
    out = _run(DRAW, tmp_path, "packaged", "normal")
    assert out["family"] == "Noto Sans CJK SC" and not out["bold"]
    assert out["titleweight"] == "normal"
    assert out["logged"] == []


def test_cjk_font_files_are_font_files():
    found = i18n.cjk_font_files()
    assert all(os.path.isfile(p) and p.lower().endswith((".ttf", ".otf", ".ttc")) for p in found)


def test_the_team_of_tickets_without_a_team_is_named_in_the_pages_language():
    """A Chinese page read 'Unassigned' (the name the loader gives tickets with a blank
    team); a team the export names so keeps its name."""
    from servicekpi.i18n import team_shown
    assert team_shown("unassigned", "Unassigned", "zh") == "未分配"
    assert team_shown("unassigned", "Unassigned", "en") == "Unassigned"
    assert team_shown("unassigned", "Nicht zugewiesen", "zh") == "Nicht zugewiesen"
    assert team_shown("phone", "Unassigned", "zh") == "Unassigned"
    assert team_shown("unassigned", "unassigned", "zh") == "未分配"     # its id: no name
    assert team_shown("unassigned", None, "zh") == "未分配"


def test_an_average_of_counts_that_is_not_zero_does_not_read_zero():
    """A small team's headline read "average of 12: 0" for 0.42 tickets a month, as if
    it had none; an average keeps the decimals that show it is not zero."""
    assert CAT["volume"].fmt(0.42) == "0"                        # a count as formatted
    assert CAT["volume"].fmt_nonzero(0.42) == "0.4"
    assert CAT["volume"].fmt_nonzero(0.004) == "0.004" and CAT["volume"].fmt_nonzero(0) == "0"
    assert CAT["volume"].fmt_nonzero(12.4) == "12" and CAT["fcr_rate"].fmt_nonzero(0.5) == "50.0%"
