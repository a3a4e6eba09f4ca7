"""The stored run of a recurring job for one period (定时任务运行记录), kept by ``core.jobs``."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from changji.core.periods import PERIOD_LABELS


class JobRunState(models.TextChoices):
    RUNNING = "running", _("运行中")
    SUCCEEDED = "succeeded", _("成功")
    FAILED = "failed", _("失败")


class JobRun(models.Model):
    """One job's run for one period: claimed (running), then succeeded or failed, retried in place.

    The row is the claim: ``(job, period_start)`` is unique, so a period is inserted, and therefore
    run, by one runner only; a retry or the takeover of an abandoned claim changes the row under a
    compare-and-set on its state and attempts (``core.jobs``). ``period_start`` is the period's start
    (stored in UTC like every time) and ``period`` its kind (``core.periods.Period``); ``runner`` names
    the process (host:pid:token) holding the claim.
    ``error`` is the exception and where it was raised, with secrets redacted (``core.log_redaction``);
    ``result`` the job's counts.
    """

    job = models.CharField(_("任务"), max_length=100)
    period = models.CharField(_("周期"), max_length=16,
                              choices=[(str(kind), label) for kind, label in PERIOD_LABELS.items()])
    period_start = models.DateTimeField(_("周期开始"))
    state = models.CharField(_("状态"), max_length=16, choices=JobRunState.choices)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=1)
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    runner = models.CharField(_("运行进程"), max_length=200, blank=True)
    error = models.TextField(_("错误"), blank=True)
    result = models.JSONField(_("结果"), default=dict, blank=True)

    class Meta:
        verbose_name = _("定时任务运行记录")
        verbose_name_plural = _("定时任务运行记录")
        ordering = ["-period_start", "job"]
        constraints = [models.UniqueConstraint(fields=["job", "period_start"], name="core_jobrun_one_per_period")]
        indexes = [models.Index(fields=["state", "period_start"], name="core_jobrun_state")]

    def __str__(self) -> str:
        return f"{self.job} {self.period_start:%Y-%m-%d %H:%M} {self.get_state_display()}"
