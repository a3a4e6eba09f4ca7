"""Quota controls (issue 14): policies per region × use class, announced stops, approved/expiring/reversible top-ups.

Existing QuotaPolicy rows keep their region and become the policy of every use class there (``use`` blank);
``auto_stop`` is renamed ``stop_at_full`` with its value, the notice is the default 48 h, and their thresholds
are normalised (numbers, ascending, without duplicates; the default 80/90/100 % where none were set).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


DEFAULT_THRESHOLDS = [0.8, 0.9, 1.0]


def normalise_thresholds(apps, schema_editor):
    """Give each existing policy ascending, distinct numeric thresholds within (0, 2] (the default if none)."""
    QuotaPolicy = apps.get_model("water", "QuotaPolicy")
    for policy in QuotaPolicy.objects.all():
        values = set()
        for value in policy.thresholds if isinstance(policy.thresholds, list) else []:
            try:
                number = float(value)
            except (TypeError, ValueError):
                continue
            if 0 < number <= 2:
                values.add(number)
        policy.thresholds = sorted(values) or list(DEFAULT_THRESHOLDS)
        policy.save(update_fields=["thresholds"])


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0005_job_run'),
        ('water', '0013_quota_norms'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='quotapolicy',
            options={'ordering': ['region', 'use'], 'verbose_name': '总量控制策略', 'verbose_name_plural': '总量控制策略'},
        ),
        migrations.RenameField(model_name='quotapolicy', old_name='auto_stop', new_name='stop_at_full'),
        migrations.AlterField(
            model_name='quotapolicy',
            name='stop_at_full',
            field=models.BooleanField(default=True, verbose_name='达到100%关泵'),
        ),
        migrations.AddField(
            model_name='allocation',
            name='override_approved_by_name',
            field=models.CharField(blank=True, max_length=150, verbose_name='放行批准人'),
        ),
        migrations.AddField(
            model_name='allocation',
            name='override_approver',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='放行批准账号'),
        ),
        migrations.AddField(
            model_name='allocation',
            name='stop_announced_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='关泵预告时间'),
        ),
        migrations.AddField(
            model_name='allocation',
            name='stop_due_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='预定关泵时间'),
        ),
        migrations.AddField(
            model_name='allocationchange',
            name='approved_by_name',
            field=models.CharField(blank=True, max_length=150, verbose_name='批准人'),
        ),
        migrations.AddField(
            model_name='allocationchange',
            name='approver',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='批准账号'),
        ),
        migrations.AddField(
            model_name='allocationchange',
            name='expires_on',
            field=models.DateField(blank=True, help_text='临时追加指标在该日之后不再计入', null=True, verbose_name='有效期至'),
        ),
        migrations.AddField(
            model_name='allocationchange',
            name='reverses',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='reversal', to='water.allocationchange', verbose_name='冲销的调整'),
        ),
        migrations.AddField(
            model_name='quotapolicy',
            name='notice_hours',
            field=models.PositiveSmallIntegerField(default=48, verbose_name='关泵预告时长（小时）'),
        ),
        migrations.AddField(
            model_name='quotapolicy',
            name='updated_at',
            field=models.DateTimeField(auto_now=True, verbose_name='修改时间'),
        ),
        migrations.AddField(
            model_name='quotapolicy',
            name='updated_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='修改人'),
        ),
        migrations.AddField(
            model_name='quotapolicy',
            name='updated_by_name',
            field=models.CharField(blank=True, max_length=150, verbose_name='修改人名称'),
        ),
        migrations.AddField(
            model_name='quotapolicy',
            name='use',
            field=models.CharField(blank=True, choices=[('', '全部用途'), ('agricultural', '农业灌溉'), ('industrial', '工业'), ('domestic', '生活')], default='', max_length=16, verbose_name='用途'),
        ),
        migrations.AlterField(
            model_name='command',
            name='kind',
            field=models.CharField(choices=[('pump_stop', '远程关泵'), ('pump_start', '远程开泵'), ('pump_unlock', '解除闭锁（允许现场开泵）'), ('quota_on', '开启定额控制'), ('quota_off', '关闭定额控制'), ('set_clock', '校时'), ('query_realtime', '召测实时数据'), ('query_picture', '召测图片')], max_length=16, verbose_name='指令'),
        ),
        migrations.AlterField(
            model_name='quotapolicy',
            name='region',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='core.region', verbose_name='区划'),
        ),
        migrations.AddConstraint(
            model_name='quotapolicy',
            constraint=models.UniqueConstraint(fields=('region', 'use'), name='quota_policy_region_use'),
        ),
        migrations.RunPython(normalise_thresholds, migrations.RunPython.noop),
    ]
