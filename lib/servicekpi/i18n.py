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
    "en": {"met": "met", "missed": "missed", "on_track": "on track", "at_risk": "at risk",
           "off_track": "off track", "insufficient_data": "insufficient data"},
    "zh": {"met": "已达成", "missed": "未达成", "on_track": "正常推进", "at_risk": "有风险",
           "off_track": "偏离目标", "insufficient_data": "数据不足"},
}

TEXT = {
    "summary": ("## Summary", "## 摘要"),
    "headline": ("## Headline KPIs\nThe latest period against the one before, and the average "
                 "over the periods shown. A duration (response or resolution time) of a period "
                 "in which more than 5% of its tickets are still open reads too low, since the "
                 "slowest tickets are the ones missing: such a period is left out here and in "
                 "every assessment, and the latest period that has closed is shown, its period "
                 "in brackets. A KPI that does not apply to the team (abandonment without a "
                 "queue) is n/a, never 0, and not ranked.",
                 "## 关键指标\n最近一期与上一期的对比，以及所示各期的平均值。若某期仍有超过5%的工单未关闭，"
                 "该期的时长类指标（响应时间、解决时长）会偏低（缺少的正是最慢的工单）：此类期间在此处及所有评估中"
                 "均不采用，改为显示已关闭的最近一期，期间注于括号内。不适用于本团队的指标（如无排队时的放弃率）"
                 "显示为不适用，而不是0，也不参与排名。"),
    "gaps": ("## Targets and gaps\nEach target's current value against its glide path (the value "
             "expected by now) and the target. A target is about its deadline period, and so is "
             "its status. While the deadline is ahead: *on track* when the probability that the "
             "deadline period's value meets the target is at least {high}, *at risk* from {low} "
             "to {high}, *off track* below {low} (one simulation per target, see *Forecasts and "
             "outlook*); a series too short to forecast is judged by its glide path and recent "
             "pace instead. *Better than target now* is shown separately: a value better than "
             "the target today (a seasonal low, say) does not make the target met. *Met* or "
             "*missed* only once the deadline period is observed and complete: its value is at "
             "or better than the target, or not (the *why* column says whether a miss is within "
             "that value's {level} confidence interval). Periods of a duration KPI with more "
             "than {max_open} of their tickets still open are incomplete and left out; a "
             "deadline period still incomplete is not over yet, and its status comes from the "
             "forecast. *Insufficient data* when the deciding value rests on fewer than {min_n} "
             "observations, when the deadline has passed without a value, or when the latest "
             "value that can be assessed is more than {max_stale} periods old. *Progress from "
             "baseline* is the share of the baseline-to-target distance covered (negative when "
             "worse than the baseline); the scorecard scores it clipped to 0-100. The *why* "
             "column gives the rule behind each status.",
             "## 目标与差距\n各目标的当前值与目标路径（此时应达到的值）及目标值的对比。目标针对的是截止期，状态也是。"
             "截止期未到时：截止期的值达到目标的概率不低于{high}为“正常推进”，{low}至{high}为“有风险”，低于{low}为"
             "“偏离目标”（每个目标模拟一次，见“预测与展望”）；历史过短、无法预测时，改按目标路径与近期速度判定。"
             "“当前优于目标”单独列出：当前值优于目标（例如处于季节性低点）并不表示目标已达成。只有截止期的值已观测到且"
             "该期已完整时才判定“已达成”或“未达成”：该值达到或优于目标，或未达到（“why”一栏说明差距是否在该值的"
             "{level}置信区间之内）。时长类指标中仍有超过{max_open}工单未结的期间视为不完整，不参与评估；截止期本身"
             "尚不完整时视为尚未结束，其状态由预测判定。判定所依据的值少于{min_n}个观测、截止期已过但没有数值，或可评估"
             "的最新值已超过{max_stale}期之前时，为“数据不足”。“progress from baseline”（从基线的进度）为从基线到目标的距离中已完成的比例（差于"
             "基线时为负）；量化考核按此计分，并截取在0至100之间。“why”一栏给出判定依据。"),
    "achievable": ("### Are the targets achievable?\nThe improvement per period each target "
                   "demands, against the team's own trend before the baseline, its best pace over "
                   "any six periods, and the best pace among the other teams. *Noise* is the "
                   "larger of two half-widths at the level shown in the table: the baseline's "
                   "confidence interval (over the periods it averages: how uncertain the "
                   "baseline itself is) and the range a single period's value scatters in "
                   "around the team's level (z times the period-to-period standard deviation "
                   "before the baseline, robust to one-off shocks). A target is judged on one "
                   "period's value, so a target closer to the baseline than the noise is "
                   "*within noise*: reaching it could not be told apart from chance.",
                   "### 目标是否可实现？\n各目标每期所需的改善幅度，与本团队基线前的趋势、任意六期内的最快改善速度"
                   "以及其他团队的最快速度相比较。“噪声”取两个半宽中较大者（置信水平见表中标注）：基线（按其所平均的"
                   "各期）置信区间的半宽，即基线本身的不确定程度；以及单期数值围绕团队水平的波动范围（基线之前逐期"
                   "波动标准差乘以z值，不受一次性冲击影响）。目标按单期数值评判，因此目标与基线之差小于噪声时为"
                   "“在噪声范围内”：即使达到，也无法与偶然波动区分。"),
    "benchmarks": ("## Benchmark comparison\nThe latest period against external benchmarks and "
                   "the other teams.",
                   "## 对标分析\n最近一期与外部行业基准及其他团队的比较。"),
    # {bands}, {heavy}, {cap}: servicekpi.scorecard.rule_words (TeamReport.md fills them in)
    "scorecard": ("## Scorecard and grade\nEach targeted KPI is scored by its progress from "
                  "the baseline to the target: 0 at the baseline (or worse), 100 at the target "
                  "(or better), in proportion between, whichever way the KPI improves. While "
                  "the deadline is ahead the latest value is scored; once it has passed, the "
                  "value in the deadline period, the one that decided met or missed. A target "
                  "with insufficient data is not scored and lowers the coverage. The composite "
                  "score is the weighted progress (weights from the targets; the points add up "
                  "to it). Grades: {bands}. When the targets that are off track or missed "
                  "together carry {heavy} or more of the team's weight, the grade is capped at "
                  "{cap}, whatever the score; the summary names them. Each score is shown "
                  "beside its target's status at the deadline: a value better than the target "
                  "today scores 100 even when it is forecast to miss the target at the "
                  "deadline (off track). The fuzzy evaluation weighs how the scores spread over "
                  "the grades; the same cap applies to it, and where its grade still differs "
                  "from the grade above, the summary says why.",
                  "## 量化考核与评级\n各考核指标按从基线到目标的进度计分：处于基线（或更差）为0分，达到目标（或更好）"
                  "为100分，其间按比例计分，并考虑指标的改善方向。截止期之前按最新值计分；截止期过后，按截止期当期的"
                  "值（即判定达成或未达成的值）计分。数据不足的目标不计分，并降低覆盖率。综合得分为按目标权重加权的"
                  "进度（各指标得分点之和）。等级：{bands}。若偏离目标或未达成的目标合计占本团队权重{heavy}及以上，"
                  "则无论得分多少，等级最高为{cap}；摘要中列出相应目标。每项得分旁列出该目标在截止期的状态：当前值"
                  "优于目标即得100分，但预测截止期未能达成时状态仍为偏离目标。模糊综合评价考察各项得分在各等级间的"
                  "分布；同一封顶规则同样适用，若其等级仍与上述等级不同，摘要中说明原因。"),
    "forecasts": ("## Forecasts and outlook\nWill each goal be met at its deadline? Each "
                  "target's history is simulated once, to its deadline, by the best of several "
                  "statistical models, chosen by how well each forecast this series' own "
                  "past: its mean error over the next h periods from up to {cv_origins} recent "
                  "starting points, where h is the number of periods to the deadline, but at "
                  "most {cv_h} and at most a quarter of the history. The status, the "
                  "probability, the forecast (the median of the simulated paths), its 80% and "
                  "95% intervals, the fan chart and the model "
                  "named here all come from the same paths. *P(met at deadline)* is the share "
                  "of paths at or better than the target in the deadline period. *Expected "
                  "reached* is the first period from which the expected path (the latest value, "
                  "then the median forecast) is at or better than the target in every period "
                  "through the deadline: *not by the deadline* when the median forecast at the "
                  "deadline misses the target. *Backtest MASE* below 1 means the method beat a "
                  "naive forecast on this series' recent past.",
                  "## 预测与展望\n各目标能否在截止期达成？每个目标的历史数据由多个统计模型中对本序列历史预测最准的一个"
                  "模拟一次，直至截止期。预测准确度为从最近（至多{cv_origins}个）起点向后预测h期的平均误差，h为距截止期的期数，但不超过"
                  "{cv_h}期，也不超过历史长度的四分之一。状态、概率、预测值（模拟路径的中位数）、80%与95%区间、"
                  "扇形图以及此处列出的模型均来自同一组模拟路径。“P(met at deadline)”为截止期达到或优于目标的路径所占"
                  "比例。“expected reached”（预计达成）为预期路径（最新值，其后为预测中位数）自该期起直至截止期每期均"
                  "达到或优于目标的第一期；截止期的预测中位数未达到目标时为“not by the deadline”（截止期前不会达成）。"
                  "回测MASE小于1表示该方法在近期优于朴素预测。"),
    "diagnostics": ("## Diagnostics", "## 诊断分析"),
    "control": ("### Control charts\nIs a change real or noise? Each chart's centre line and "
                "control limits come from a fixed reference, its first 12 periods (phase I, "
                "shaded), not from the whole history, and are wide enough for that short "
                "reference (about 0.3% of in-control points fall outside them). A sustained "
                "shift, 8 or more points in a row on one side that keep the new level, starts "
                "a new *stage* with limits of its own (dotted line). For a seasonal KPI the "
                "centre line is the seasonal expectation (estimated from all the years shown) "
                "and the limits are set on the deviations from it, so the usual summer low is not a special cause. A "
                "proportion that varies from month to month more than sampling explains (usual "
                "with hundreds of tickets a month) gets limits widened by that ratio (Laney p′ "
                "chart) instead of p-chart limits that would flag most months. Points "
                "outside the limits, or runs (8 in a row on one side, 6 rising or falling, 2 "
                "of 3 beyond 2 sigma), are special causes worth investigating. The table "
                "lists those of the last six periods, with the value expected there.",
                "### 控制图\n变化是真实的还是随机波动？每张图的中心线和控制限来自固定的参照期，即最初12期"
                "（第一阶段，阴影部分），而不是全部历史；控制限已考虑参照期较短带来的不确定性（受控时约0.3%"
                "的点落在限外）。持续性偏移（连续8点或以上位于中心线同侧且维持新水平）开启新的*阶段*，"
                "该阶段有自己的控制限（虚线）。对于有季节性的指标，中心线为季节性预期值（依据所示各年估计），控制限针对偏离"
                "季节性预期的部分设定，因此每年惯常的淡季低点不会被视为特殊原因。比例类指标若逐月波动大于抽样"
                "误差所能解释的程度（每月有数百张工单时很常见），其控制限按该比例放宽（Laney p′图），以免普通"
                "p图将大多数月份标为异常。超出控制限的点，或连续8点"
                "位于中心线同侧、连续6点上升或下降、3点中有2点超出2σ，均为值得调查的特殊原因。下表列出"
                "最近六期的特殊原因及该期的预期值。"),
    "causes": ("### Top complaint causes\nComplaints by category in the latest period, with the "
               "change against the period before: the top three go to their owners with an "
               "action and a date.",
               "### 投诉主要原因\n最近一期按类别统计的投诉及与上一期相比的变化；前三位原因应交给责任部门，"
               "明确措施和完成时间。"),
    "driver": ("### What drove the largest change\nThe targeted KPI whose latest value lies "
               "furthest from what its control chart expects (the same measure for every KPI: "
               "the distance in sigmas from its level, and from its seasonal pattern when it "
               "has one), tested, and its change split into *mix* (the categories' shares "
               "moved) and *rate* (the KPI moved within categories). A KPI without a seasonal "
               "pattern is compared with the previous period; a seasonal one (its control "
               "chart's test) with the same period a year earlier, because most of its "
               "month-to-month change is the season, and its change from the previous period "
               "is set against the same change in past years, in direction and size.",
               "### 最大变化的驱动因素\n最新数值偏离其控制图预期最远的考核指标（各指标采用同一尺度：与其水平"
               "的距离，有季节性时为与季节规律的距离，以标准差计），经显著性检验，其变化分解为结构效应"
               "（各类别占比变化）与比率效应（类别内部指标变化）。无季节性的指标与上一期比较；有季节性的指标"
               "（依其控制图的检验）与上年同期比较，因为其逐月变化大多来自季节因素，并将其与上一期相比的变化"
               "与往年同期的变化在方向和幅度上相对照。"),
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
    # ---- KPIS helper (issue 10): incomplete durations, n/a abandonment
    "incomplete_mark": ("(incomplete: {share} open)", "（未完结：{share}未关闭）"),
    "incomplete_legend": ("incomplete: tickets still open", "未完结：仍有工单未关闭"),
    "incomplete": ("Durations marked incomplete are of periods in which more than {limit} of "
                   "the tickets were still open at the as-of time: they read too low (the "
                   "slowest tickets are the ones missing), are drawn hollow in the trends, and "
                   "are left out of statuses, scores, forecasts, control charts and "
                   "benchmarks, which use the latest period that has closed.",
                   "标注为未完结的时长类指标所在期间，截至数据时点仍有超过{limit}的工单未关闭：其数值偏低"
                   "（缺少的正是最慢的工单），在趋势图中以空心点表示，并不参与状态、评分、预测、控制图和对标，"
                   "这些分析使用已关闭的最近一期。"),
    "incomplete_headline": ("{kpis}: {periods} left out (tickets still open), so the values "
                            "shown are of the latest period that has closed, in brackets.",
                            "{kpis}：{periods}仍有工单未关闭，不予采用，所示为已关闭的最近一期（括号内）。"),
    "abandonment_channels": ("Abandonment is counted over {counted}, the channels in which "
                             "some contact was abandoned; {left_out} have no queue and are "
                             "left out (n/a, not 0).",
                             "放弃率只统计有放弃记录的渠道（{counted}）；{left_out}没有排队，不予统计"
                             "（不适用，而非0）。"),
    # ---- DIAG helper (issue 10): which KPI and which comparison the main driver uses
    "driver_rank": ("Of the targeted KPIs, {kpi} lies furthest in {after} from what its control "
                    "chart expects: {value} against {expected} expected (z = {z}).",
                    "在各考核指标中，{kpi}在{after}的数值偏离其控制图预期最远：实际{value}，预期{expected}"
                    "（z = {z}）。"),
    "driver_rank_seasonal": ("Of the targeted KPIs, {kpi} lies furthest in {after} from what its "
                             "control chart expects with the seasonal pattern: {value} against "
                             "{expected} expected for the season (z = {z}).",
                             "在各考核指标中，{kpi}在{after}的数值偏离其控制图（含季节规律）预期最远："
                             "实际{value}，季节预期{expected}（z = {z}）。"),
    "driver_year": ("{kpi} is seasonal, so {after} is compared with {before}, the same period "
                    "a year earlier.",
                    "{kpi}具有季节性，因此{after}与上年同期{before}比较。"),
    "driver_no_year": ("{kpi} is seasonal, but {after} cannot be compared with the same period "
                       "a year earlier (no value), so it is compared with {before}, the period "
                       "before: read the change against the usual seasonal one below.",
                       "{kpi}具有季节性，但上年同期没有数据，因此{after}与上一期{before}比较：请对照"
                       "下文往年同期的惯常季节性变化来解读。"),
    "driver_previous": ("{after} is compared with {before}, the period before: {kpi} shows no "
                        "seasonal pattern at the {alpha} level (F-test p = {p}).",
                        "{after}与上一期{before}比较：在{alpha}显著性水平下，{kpi}没有季节性规律"
                        "（F检验 p = {p}）。"),
    "driver_previous_short": ("{after} is compared with {before}, the period before: {kpi} has "
                              "less than two years of history, too little to test for a "
                              "seasonal pattern.",
                              "{after}与上一期{before}比较：{kpi}的历史数据不足两年，无法检验季节性。"),
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


#: The :data:`TEXT` entries whose ``{...}`` :func:`text` fills with the
#: numbers the code uses (:func:`quoted_defaults`), so the text cannot drift
#: from them.
FILLED = ("gaps", "forecasts")


def quoted_defaults() -> dict:
    """The code's defaults that the texts of :data:`FILLED` quote: the gap
    table's probability thresholds (``low``, ``high``), ``min_n``, ``level``
    and ``max_stale``, the open-ticket share that makes a period incomplete
    (``max_open``), the longest cross-validation horizon (``cv_h``) and the
    number of cross-validation origins (``cv_origins``)."""
    from .forecast import CV_ORIGINS, MAX_CV_HORIZON
    from .gaps import LEVEL, MAX_STALE, MIN_N, THRESHOLDS
    from .kpis import MAX_OPEN_SHARE

    def pct(x):
        return f"{100 * x:g}%"
    return {"low": pct(THRESHOLDS[0]), "high": pct(THRESHOLDS[1]), "min_n": MIN_N,
            "level": pct(LEVEL), "max_stale": MAX_STALE, "max_open": pct(MAX_OPEN_SHARE),
            "cv_h": MAX_CV_HORIZON, "cv_origins": CV_ORIGINS}


def text(key: str, language: str = "en") -> str:
    """A heading and its explanation in ``language``; the numbers of the
    :data:`FILLED` entries filled in from the code's defaults."""
    en, zh = TEXT[key]
    out = zh if language == "zh" else en
    return out.format(**quoted_defaults()) if key in FILLED else out


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
