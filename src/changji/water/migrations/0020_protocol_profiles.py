"""Protocol profiles and device batches; Terminal.batch becomes a foreign key to DeviceBatch.

The old free-text batch values become batches (one per value and protocol) with the default profile of
their protocol (the codec defaults, which is what the gateway applied to them before).
"""

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone

_DEFAULTS = {
    "szy206": {"ack_style": "hm1212", "word_order": "little", "flow_first": True, "flow_unit_bits": True,
               "time_label_length": None, "address_order": "raw"},
    "sl651": {"volume_extension": None, "energy_extension": None, "ack_end": "EOT", "ack_time": "echo"},
}
DEFAULT_NAMES = {"szy206": "默认 SZY206", "sl651": "默认 SL651"}


def batches_from_labels(apps, schema_editor):
    Terminal = apps.get_model("water", "Terminal")
    Profile = apps.get_model("water", "ProtocolProfile")
    Version = apps.get_model("water", "ProtocolProfileVersion")
    Batch = apps.get_model("water", "DeviceBatch")
    pairs = sorted(set(Terminal.objects.exclude(batch_label="").values_list("protocol", "batch_label")))
    if not pairs:
        return
    labels_by_protocol = {}
    for protocol, label in pairs:
        labels_by_protocol.setdefault(label, set()).add(protocol)
    profiles = {}
    now = timezone.now()
    for protocol, label in pairs:
        if protocol not in profiles:
            profile, created = Profile.objects.get_or_create(
                name=DEFAULT_NAMES.get(protocol, f"默认 {protocol}"),
                defaults={"protocol": protocol, "options": _DEFAULTS.get(protocol, {}),
                          "description": "迁移时按原规约默认参数建立"},
            )
            if created:
                Version.objects.create(profile=profile, version=1, options=profile.options,
                                       link_mode=profile.link_mode, report_interval_s=profile.report_interval_s,
                                       description=profile.description, valid_from=now, saved_by="migration")
            profiles[protocol] = profile
        name = label if len(labels_by_protocol[label]) == 1 else f"{label}-{protocol}"
        batch, _ = Batch.objects.get_or_create(name=name[:64], defaults={"profile": profiles[protocol]})
        Terminal.objects.filter(protocol=protocol, batch_label=label).update(batch=batch)


def labels_from_batches(apps, schema_editor):
    Terminal = apps.get_model("water", "Terminal")
    for terminal in Terminal.objects.exclude(batch=None).select_related("batch"):
        Terminal.objects.filter(pk=terminal.pk).update(batch_label=terminal.batch.name[:32])


class Migration(migrations.Migration):

    dependencies = [
        ('water', '0019_work_order_lifecycle'),
    ]

    operations = [
        migrations.CreateModel(
            name='ProtocolProfile',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=64, unique=True, verbose_name='名称')),
                ('protocol', models.CharField(choices=[('szy206', 'SZY206-2016 / SL/T 427-2021'), ('sl651', 'SL651-2014')], max_length=8, verbose_name='规约')),
                ('version', models.PositiveIntegerField(default=1, verbose_name='版本')),
                ('options', models.JSONField(default=dict, verbose_name='编解码参数')),
                ('link_mode', models.CharField(choices=[('online', '永久在线'), ('dial_in', '定时上线（拨号）'), ('sms', '短信唤醒')], default='online', max_length=16, verbose_name='链路方式')),
                ('report_interval_s', models.PositiveIntegerField(default=300, verbose_name='上报间隔（秒）')),
                ('description', models.TextField(blank=True, verbose_name='说明')),
                ('updated_at', models.DateTimeField(auto_now=True, db_index=True, verbose_name='更新时间')),
            ],
            options={'verbose_name': '规约配置', 'verbose_name_plural': '规约配置', 'ordering': ['protocol', 'name']},
        ),
        migrations.CreateModel(
            name='ProtocolProfileVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(verbose_name='版本')),
                ('options', models.JSONField(default=dict, verbose_name='编解码参数')),
                ('link_mode', models.CharField(choices=[('online', '永久在线'), ('dial_in', '定时上线（拨号）'), ('sms', '短信唤醒')], max_length=16, verbose_name='链路方式')),
                ('report_interval_s', models.PositiveIntegerField(verbose_name='上报间隔（秒）')),
                ('description', models.TextField(blank=True, verbose_name='说明')),
                ('valid_from', models.DateTimeField(verbose_name='生效时间')),
                ('saved_by', models.CharField(blank=True, max_length=150, verbose_name='修改人')),
                ('profile', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='versions', to='water.protocolprofile', verbose_name='规约配置')),
            ],
            options={'verbose_name': '规约配置版本', 'verbose_name_plural': '规约配置版本', 'ordering': ['profile', '-version'],
                     'constraints': [models.UniqueConstraint(fields=('profile', 'version'), name='profile_version_unique')]},
        ),
        migrations.CreateModel(
            name='DeviceBatch',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=64, unique=True, verbose_name='批次编号')),
                ('manufacturer', models.CharField(blank=True, max_length=64, verbose_name='厂家')),
                ('model', models.CharField(blank=True, max_length=64, verbose_name='型号')),
                ('firmware', models.CharField(blank=True, max_length=32, verbose_name='固件版本')),
                ('delivery_year', models.PositiveIntegerField(blank=True, null=True, verbose_name='交付年度')),
                ('planned_count', models.PositiveIntegerField(blank=True, null=True, verbose_name='合同台数')),
                ('notes', models.TextField(blank=True, verbose_name='备注')),
                ('updated_at', models.DateTimeField(auto_now=True, db_index=True, verbose_name='更新时间')),
                ('profile', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='batches', to='water.protocolprofile', verbose_name='规约配置')),
            ],
            options={'verbose_name': '设备批次', 'verbose_name_plural': '设备批次', 'ordering': ['name']},
        ),
        migrations.CreateModel(
            name='ProfileSuggestion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('current_score', models.FloatField(verbose_name='当前得分')),
                ('score', models.FloatField(verbose_name='建议得分')),
                ('evidence', models.JSONField(default=dict, verbose_name='依据')),
                ('state', models.CharField(choices=[('open', '待确认'), ('confirmed', '已切换'), ('dismissed', '已忽略')], default='open', max_length=16, verbose_name='状态')),
                ('created_at', models.DateTimeField(verbose_name='发现时间')),
                ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='处理时间')),
                ('decided_by', models.CharField(blank=True, max_length=150, verbose_name='处理人')),
                ('readings_redecoded', models.PositiveIntegerField(default=0, verbose_name='重解析读数')),
                ('current_profile', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='water.protocolprofile', verbose_name='当前规约配置')),
                ('suggested_profile', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='water.protocolprofile', verbose_name='建议规约配置')),
                ('terminal', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='profile_suggestions', to='water.terminal', verbose_name='终端')),
            ],
            options={'verbose_name': '规约不符建议', 'verbose_name_plural': '规约不符建议', 'ordering': ['state', '-created_at']},
        ),
        migrations.RenameField(model_name='terminal', old_name='batch', new_name='batch_label'),
        migrations.AddField(
            model_name='terminal',
            name='batch',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='terminals', to='water.devicebatch', verbose_name='设备批次'),
        ),
        migrations.AddField(
            model_name='terminal',
            name='profile_override',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='water.protocolprofile', verbose_name='单独规约配置'),
        ),
        migrations.RunPython(batches_from_labels, labels_from_batches),
        migrations.RemoveField(model_name='terminal', name='batch_label'),
    ]
