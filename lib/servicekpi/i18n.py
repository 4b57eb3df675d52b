"""Report language: English or Chinese headings, status words and figure fonts.

Every heading and explanatory paragraph of the report notebooks lives here,
keyed by name, so a notebook shows them with ``report.md(key)`` in the
report's ``language``.  So do the one-sentence notes a section shows when
its input is absent (:data:`NOTES`, :func:`note`) and the flag of a partial
period (:func:`partial_label`).  KPI labels come from the catalogue
(``label_zh``), grade names from :mod:`servicekpi.scorecard`.

Figures with Chinese text need a CJK font: :func:`use_cjk_font` finds one
(an installed Noto Sans CJK, Source Han Sans, WenQuanYi, ..., else the Noto
Sans CJK SC that the ``mplfonts`` package ships) or raises a clear error
instead of drawing empty boxes.
"""
from __future__ import annotations

import re

from .errors import ReportError

STATUS = {
    "en": {"met": "met", "on_track": "on track", "at_risk": "at risk", "off_track": "off track",
           "insufficient_data": "insufficient data"},
    "zh": {"met": "已达成", "on_track": "正常推进", "at_risk": "有风险", "off_track": "偏离目标",
           "insufficient_data": "数据不足"},
}

TEXT = {
    "summary": ("## Summary", "## 摘要"),
    "headline": ("## Headline KPIs\nThe latest period against the one before, and the average "
                 "over the periods shown.",
                 "## 关键指标\n最近一期与上一期的对比，以及所示各期的平均值。"),
    "gaps": ("## Targets and gaps\nEach target's current value against its glide path (the value "
             "expected by now) and the target. Status: *met* when the current value is at or "
             "better than the target; otherwise from the forecast (see *Forecasts and outlook*): "
             "*on track* when the probability of meeting the target by the deadline is at least "
             "70%, *at risk* from 30% to 70%, *off track* below 30%. *Insufficient data* when the "
             "current value rests on fewer than 20 observations. The *why* column gives the rule "
             "behind each status.",
             "## 目标与差距\n各目标的当前值与目标路径（此时应达到的值）及目标值的对比。状态：当前值达到或优于目标为"
             "“已达成”；否则依据预测（见“预测与展望”）：截止前达成目标的概率不低于70%为“正常推进”，30%至70%为"
             "“有风险”，低于30%为“偏离目标”；当前值所依据的观测少于20个时为“数据不足”。“why”一栏给出判定依据。"),
    "achievable": ("### Are the targets achievable?\nThe improvement per period each target "
                   "demands, against the team's own trend before the baseline, its best pace over "
                   "any six periods, and the best pace among the other teams.",
                   "### 目标是否可实现？\n各目标每期所需的改善幅度，与本团队基线前的趋势、任意六期内的最快改善速度"
                   "以及其他团队的最快速度相比较。"),
    "benchmarks": ("## Benchmark comparison\nThe latest period against external benchmarks and "
                   "the other teams.",
                   "## 对标分析\n最近一期与外部行业基准及其他团队的比较。"),
    "scorecard": ("## Scorecard and grade\nEach targeted KPI scored by attainment (actual "
                  "against target, direction-aware, capped at 100), weighted by the targets' "
                  "weights. Grades: A >= 90, B >= 75, C >= 60, D below.",
                  "## 量化考核与评级\n各考核指标按完成率计分（实际值相对目标值，考虑指标方向，最高100分），"
                  "按目标权重加权。等级：优秀 >= 90，良好 >= 75，合格 >= 60，其余为不合格。"),
    "forecasts": ("## Forecasts and outlook\nWill each goal be met by its deadline? Forecasts "
                  "come from the best of several statistical models (chosen by how well each "
                  "forecast this team's own past), with 80% and 95% intervals from simulated "
                  "paths. *Backtest MASE* below 1 means the method beat a naive forecast on this "
                  "series' recent past.",
                  "## 预测与展望\n各目标能否在截止前达成？预测取自多个统计模型中对本团队历史预测最准的一个，"
                  "80%与95%区间来自模拟路径。回测MASE小于1表示该方法在近期优于朴素预测。"),
    "diagnostics": ("## Diagnostics", "## 诊断分析"),
    "control": ("### Control charts\nIs a change real or noise? Points outside the 3-sigma "
                "limits, or runs (8 in a row on one side, 6 rising or falling, 2 of 3 beyond 2 "
                "sigma), are special causes worth investigating. The table lists those of the "
                "last six periods.",
                "### 控制图\n变化是真实的还是随机波动？超出3σ控制限的点，或连续8点位于中心线同侧、连续6点上升或"
                "下降、3点中有2点超出2σ，均为值得调查的特殊原因。下表列出最近六期的特殊原因。"),
    "causes": ("### Top complaint causes\nComplaints by category in the latest period, with the "
               "change against the period before: the top three go to their owners with an "
               "action and a date.",
               "### 投诉主要原因\n最近一期按类别统计的投诉及与上一期相比的变化；前三位原因应交给责任部门，"
               "明确措施和完成时间。"),
    "driver": ("### What drove the largest change\nThe targeted KPI that moved most against its "
               "own noise since the previous period, tested, and its change split into *mix* "
               "(the categories' shares moved) and *rate* (the KPI moved within categories).",
               "### 最大变化的驱动因素\n与上一期相比变化最显著的考核指标（经显著性检验），其变化分解为结构效应"
               "（各类别占比变化）与比率效应（类别内部指标变化）。"),
    "competencies": ("### Team competencies\nAverage assessment scores on the five competency "
                     "dimensions against the target profile.",
                     "### 团队能力\n五个能力维度的平均评估得分与目标画像的对比。"),
    "trends": ("## KPI trends\nEach panel shows the team (blue) and the median of the other "
               "teams (dashed grey).",
               "## 指标趋势\n每个图中蓝线为本团队，灰色虚线为其他团队的中位数。"),
    "quality": ("## Data quality\nWhat the loader found in the ticket export: missing survey "
                "answers and open tickets are normal and kept; rows removed or dropped are "
                "listed with the reason.",
                "## 数据质量\n加载工单数据时的发现：缺失的调查回答和未结工单属正常情况并予以保留；被删除的行"
                "列出原因。"),
    "appendix": ("## Appendix\n### Parameters used", "## 附录\n### 使用的参数"),
    "definitions": ("### KPI definitions", "### 指标定义"),
}


#: One-sentence notes shown instead of a section's table or figure when its
#: input is missing, and the words that flag a partial period.  ``{...}`` are
#: filled by :func:`note`.
NOTES = {
    "no_targets": ("No targets file is named in this report's parameters (targets), so "
                   "there are no targets to assess.",
                   "本报告的参数未指定目标文件（targets），因此没有可评估的目标。"),
    "no_team_targets": ("The targets file sets no targets for this team.",
                        "目标文件中没有本团队的目标。"),
    "no_targets_any": ("No targets file is named in the parameters (targets), so no team "
                       "has targets to assess.",
                       "参数未指定目标文件（targets），因此没有团队有可评估的目标。"),
    "no_benchmarks": ("No external benchmarks file is named in the parameters (benchmarks): "
                      "the team is compared with the other teams only.",
                      "参数未指定外部基准文件（benchmarks），本团队仅与其他团队比较。"),
    "no_comparison": ("There is nothing to compare with: no external benchmarks file is "
                      "named (benchmarks) and no other team reports these KPIs.",
                      "没有可比较的对象：未指定外部基准文件（benchmarks），也没有其他团队报告这些指标。"),
    "no_peers": ("No other team reports the same KPIs for {period}, so there is no ranking "
                 "among teams.",
                 "{period}没有其他团队报告相同的指标，因此无法在团队间排名。"),
    "no_peers_any": ("No two teams have values of the same KPI in the same period, so there "
                     "is no ranking among teams.",
                     "没有两个团队在同一期有相同指标的数据，因此无法在团队间排名。"),
    "no_scorecard": ("No scorecard: a score needs targets, and none are set for this team.",
                     "无考核评分：评分需要目标，而本团队没有设定目标。"),
    "no_forecasts": ("No forecasts: they are made for targeted KPIs, and none are set for "
                     "this team.",
                     "无预测：预测仅针对设有目标的指标，而本团队没有设定目标。"),
    "no_control": ("No control charts: they are drawn for targeted KPIs, and none are set "
                   "for this team.",
                   "无控制图：控制图仅针对设有目标的指标绘制，而本团队没有设定目标。"),
    "short_control": ("No control charts: the targeted KPIs have fewer than three periods "
                      "of values.",
                      "无控制图：设有目标的指标不足三期数据。"),
    "no_signals": ("No special causes in the last six periods.",
                   "最近六期没有特殊原因。"),
    "no_causes": ("No complaint categories in this export (it has no is_complaint or "
                  "category column).",
                  "本数据中没有投诉类别（缺少 is_complaint 或 category 列）。"),
    "no_complaints": ("No complaints were recorded in {period} or the period before.",
                      "{period}及上一期没有投诉记录。"),
    "no_driver": ("No targeted ticket KPI with category data to decompose.",
                  "没有可按类别分解的、设有目标的工单指标。"),
    "no_competencies": ("No competency assessments are named in the parameters "
                        "(competencies, competency_targets).",
                        "参数未指定能力评估数据（competencies、competency_targets）。"),
    "no_team_competencies": ("The competency assessments include nobody from this team.",
                             "能力评估数据中没有本团队的人员。"),
    "no_kpi_table": ("No KPI table is named in the parameters (kpi_table), so KPIs that do "
                     "not come from tickets are not shown: {kpis}.",
                     "参数未指定指标表（kpi_table），因此不显示非工单来源的指标：{kpis}。"),
    "no_data_kpis": ("Not shown for lack of data: {kpis}.", "因缺少数据未显示：{kpis}。"),
    "no_at_risk": ("No goal is at risk or off track.", "没有有风险或偏离目标的目标。"),
    "partial": ("{label} is partial: the export runs to {day}. It is shown in the trends, "
                "flagged, and left out of comparisons, statuses, scores, benchmarks and "
                "forecasts, which use {assessed} (include_partial_period: true uses it as a "
                "full period).",
                "{label}数据不完整：数据截至{day}。该期在趋势中显示并加以标注，但不参与对比、状态、"
                "评分、对标和预测，这些分析使用{assessed}（设置 include_partial_period: true "
                "可将其作为完整一期使用）。"),
    "partial_used": ("{label} is partial (the export runs to {day}) and is assessed as a "
                     "full period.",
                     "{label}数据不完整（数据截至{day}），但作为完整一期评估。"),
    "partial_teams": ("Partial last periods, left out of statuses and scores: {teams}.",
                      "数据不完整的最后一期（不参与状态和评分）：{teams}。"),
}


def note(key: str, language: str = "en", **values) -> str:
    """A note of :data:`NOTES` in the report's language, ``{...}`` filled in."""
    en, zh = NOTES[key]
    return (zh if language == "zh" else en).format(**values)


def day_words(day, language: str = "en") -> str:
    """A calendar day for a sentence: ``13 Oct 2024`` or ``2024年10月13日``."""
    if language == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {day.strftime('%b')} {day.year}"


def partial_label(period_label: str, day, language: str = "en") -> str:
    """A partial period's label: ``2024-10 (partial, to 13 Oct)`` or
    ``2024-10（不完整，截至10月13日）``."""
    if language == "zh":
        return f"{period_label}（不完整，截至{day.month}月{day.day}日）"
    return f"{period_label} (partial, to {day.day} {day.strftime('%b')})"


def text(key: str, language: str = "en") -> str:
    en, zh = TEXT[key]
    return zh if language == "zh" else en


def status_word(status: str, language: str = "en") -> str:
    return STATUS.get(language, STATUS["en"]).get(status, status)


CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "Noto Sans SC",
                "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Zen Hei",
                "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC",
                "Heiti SC", "Droid Sans Fallback")


def find_cjk_font(rescan: bool = True) -> str | None:
    """The family name of an installed font that can draw Chinese, or None.

    Looks in matplotlib's font list; when nothing is found there, rescans the
    system fonts once (a font installed after matplotlib built its cache)."""
    from matplotlib import font_manager

    family = _find(font_manager.fontManager)
    if family is None:
        family = _packaged_font(font_manager)
    if family is None and rescan:
        # add fonts installed after matplotlib cached its list, to the same manager
        # (matplotlib's findfont is bound to it)
        for path in font_manager.findSystemFonts():
            if re.search(r"cjk|wqy|sourcehan|simhei|msyh|pingfang|droidsansfallback",
                         path.replace("-", "").replace("_", "").lower()):
                try:
                    font_manager.fontManager.addfont(path)
                except Exception:  # unreadable font file: skip it
                    continue
        family = _find(font_manager.fontManager)
    return family


def _packaged_font(font_manager) -> str | None:
    """Noto Sans CJK SC from the ``mplfonts`` wheel (a dependency), so Chinese
    figures work on a machine without system CJK fonts."""
    try:
        from importlib.resources import files
        path = files("mplfonts") / "fonts" / "NotoSansCJKsc-Regular.otf"
    except Exception:  # mplfonts not installed
        return None
    if not path.is_file():
        return None
    font_manager.fontManager.addfont(str(path))
    return _find(font_manager.fontManager)


def _find(manager) -> str | None:
    names = {f.name for f in manager.ttflist}
    for family in CJK_FAMILIES:
        if family in names:
            return family
    for f in manager.ttflist:                        # any other CJK-capable font
        if "CJK" in f.name or "Han" in f.name:
            return f.name
    return None


def use_cjk_font() -> str:
    """Make matplotlib draw Chinese text with an installed CJK font.

    Raises ReportError naming what to install when there is none.
    """
    import matplotlib

    family = find_cjk_font()
    if family is None:
        raise ReportError(
            "language: zh needs a font with Chinese characters for the figures, and none is "
            "installed. On Debian/Ubuntu: sudo apt-get install fonts-noto-cjk (then delete "
            "~/.cache/matplotlib so matplotlib sees it); on other systems install Noto Sans CJK "
            "or Source Han Sans.")
    current = matplotlib.rcParams["font.sans-serif"]
    matplotlib.rcParams["font.sans-serif"] = [family] + [f for f in current if f != family]
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["axes.unicode_minus"] = False
    return family


_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


def has_cjk(*texts) -> bool:
    """True when any of the texts holds Chinese, Japanese or Korean characters."""
    return any(_CJK.search(str(t)) for t in texts if t)
