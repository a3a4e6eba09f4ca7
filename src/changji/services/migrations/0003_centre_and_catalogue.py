"""The service centre runs itself (issue 17).

Catalogue materials, 即办 / inspection items, frozen bundle versions, windows, queue tickets, consultations,
inspections, e-licences, department ratings, delivery and visits.

Existing data: ``retired`` versions become ``withdrawn``; every published or withdrawn version gets its definition
frozen from the catalogue as it stands (the questions its conditions name, as the former code asked them), so cases
already filed keep their form and materials when the catalogue is edited from now on.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


#: The questions the former code asked on every bundle whose conditions named them (demo_catalogue.QUESTIONS).
FORMER_QUESTIONS = [{"name": "outdoor_sign", "label": "是否设置户外招牌", "kind": "bool", "required": False},
                    {"name": "sells_food", "label": "是否销售食品", "kind": "bool", "required": False},
                    {"name": "has_trucks", "label": "是否自有货运车辆", "kind": "bool", "required": False}]


def freeze_versions(apps, schema_editor):
    """Retired → withdrawn; freeze each non-draft version's definition (bundles.definition_to_json's shape)."""
    Bundle = apps.get_model("services", "Bundle")
    Bundle.objects.filter(status="retired").update(status="withdrawn")
    for bundle in Bundle.objects.exclude(status="draft"):
        links = list(bundle.bundle_items.select_related("item__department").order_by("position", "pk"))
        used = {link.condition["field"] for link in links if link.condition}
        bundle.questions = [q for q in FORMER_QUESTIONS if q["name"] in used]
        bundle.definition = {"questions": bundle.questions, "items": [{
            "code": link.item.code, "name": link.item.name, "department": link.item.department.code,
            "instant": False, "inspection": False, "inspection_limit_days": 0,
            "promised_limit_days": link.item.promised_limit_days,
            "statutory_limit_days": link.item.statutory_limit_days,
            "commitment_allowed": link.item.commitment_allowed, "result_type": "licence", "result_name": "",
            "fee_yuan": str(link.item.fee_yuan), "condition": link.condition or None,
            "fields": link.item.form_fields, "materials": link.item.materials} for link in links]}
        bundle.save(update_fields=["questions", "definition"])


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0007_service_centre_admin_role'),
        ('services', '0002_department_reviewers'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CatalogueMaterial',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=32, unique=True, verbose_name='材料编码')),
                ('name', models.CharField(max_length=128, verbose_name='材料名称')),
                ('description', models.TextField(blank=True, verbose_name='填写说明')),
                ('source', models.CharField(blank=True, help_text='申请人自备、部门核发、共享获取等', max_length=32, verbose_name='来源')),
                ('original_required', models.BooleanField(default=False, verbose_name='需核验原件')),
                ('template', models.FileField(blank=True, upload_to='services/templates/', verbose_name='空白模板')),
                ('example', models.FileField(blank=True, upload_to='services/examples/', verbose_name='填写示例')),
                ('demo', models.BooleanField(default=False, verbose_name='演示数据')),
            ],
            options={
                'verbose_name': '材料目录',
                'verbose_name_plural': '材料目录',
                'ordering': ['code'],
            },
        ),
        migrations.CreateModel(
            name='Consultation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(verbose_name='时间')),
                ('bundle_code', models.CharField(blank=True, max_length=32, verbose_name='咨询的一件事')),
                ('topic', models.CharField(max_length=128, verbose_name='咨询事项')),
                ('visitor_name', models.CharField(blank=True, max_length=64, verbose_name='来访人')),
                ('visitor_phone', models.CharField(blank=True, max_length=20, verbose_name='联系电话')),
                ('question', models.TextField(verbose_name='咨询内容')),
                ('guidance', models.TextField(verbose_name='答复与导办')),
            ],
            options={
                'verbose_name': '咨询导办记录',
                'verbose_name_plural': '咨询导办记录',
                'ordering': ['-at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='DepartmentRating',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('score', models.PositiveSmallIntegerField(verbose_name='评分（1–5）')),
                ('reasons', models.JSONField(blank=True, default=list, verbose_name='评价理由')),
                ('comment', models.TextField(blank=True, verbose_name='评价意见')),
                ('rated_at', models.DateTimeField(auto_now_add=True, verbose_name='评价时间')),
            ],
            options={
                'verbose_name': '部门评价',
                'verbose_name_plural': '部门评价',
            },
        ),
        migrations.CreateModel(
            name='ELicence',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(max_length=64, verbose_name='证照编号')),
                ('name', models.CharField(max_length=128, verbose_name='证照名称')),
                ('holder_name', models.CharField(max_length=128, verbose_name='持证主体')),
                ('issued_on', models.DateField(verbose_name='发证日期')),
                ('valid_until', models.DateField(blank=True, null=True, verbose_name='有效期至')),
                ('status', models.CharField(choices=[('valid', '有效'), ('revoked', '已撤销')], default='valid', max_length=8, verbose_name='状态')),
            ],
            options={
                'verbose_name': '电子证照',
                'verbose_name_plural': '电子证照',
            },
        ),
        migrations.CreateModel(
            name='Inspection',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('started_at', models.DateTimeField(verbose_name='派出时间')),
                ('due_on', models.DateField(verbose_name='勘察时限')),
                ('inspectors', models.CharField(blank=True, max_length=128, verbose_name='勘察人员')),
                ('inspected_at', models.DateTimeField(blank=True, null=True, verbose_name='勘察时间')),
                ('result', models.CharField(blank=True, choices=[('passed', '符合条件'), ('failed', '不符合条件')], max_length=8, verbose_name='勘察结论')),
                ('findings', models.TextField(blank=True, verbose_name='勘察记录')),
            ],
            options={
                'verbose_name': '现场勘察',
                'verbose_name_plural': '现场勘察',
            },
        ),
        migrations.CreateModel(
            name='QueueTicket',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('local_day', models.DateField(verbose_name='日期')),
                ('service_type', models.CharField(max_length=32, verbose_name='业务类别')),
                ('sequence', models.PositiveIntegerField(verbose_name='序号')),
                ('number', models.CharField(max_length=8, verbose_name='排队号')),
                ('state', models.CharField(choices=[('waiting', '等候中'), ('called', '已叫号'), ('serving', '办理中'), ('done', '已办结'), ('no_show', '过号')], default='waiting', max_length=16, verbose_name='状态')),
                ('taken_at', models.DateTimeField(verbose_name='取号时间')),
                ('called_at', models.DateTimeField(blank=True, null=True, verbose_name='叫号时间')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='结束时间')),
                ('recalls', models.PositiveSmallIntegerField(default=0, verbose_name='重呼次数')),
            ],
            options={
                'verbose_name': '排队号',
                'verbose_name_plural': '排队号',
                'ordering': ['local_day', 'taken_at', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='ServiceWindow',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveSmallIntegerField(verbose_name='窗口号')),
                ('name', models.CharField(max_length=64, verbose_name='窗口名称')),
                ('service_types', models.JSONField(default=list, verbose_name='受理类别')),
                ('active', models.BooleanField(default=True, verbose_name='启用')),
            ],
            options={
                'verbose_name': '服务窗口',
                'verbose_name_plural': '服务窗口',
                'ordering': ['region', 'number'],
            },
        ),
        migrations.AddField(
            model_name='bundle',
            name='definition',
            field=models.JSONField(blank=True, default=dict, verbose_name='发布时的定义'),
        ),
        migrations.AddField(
            model_name='bundle',
            name='effective_on',
            field=models.DateField(blank=True, null=True, verbose_name='生效日期'),
        ),
        migrations.AddField(
            model_name='bundle',
            name='online_allowed',
            field=models.BooleanField(default=True, verbose_name='可网上申请'),
        ),
        migrations.AddField(
            model_name='bundle',
            name='published_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='发布时间'),
        ),
        migrations.AddField(
            model_name='bundle',
            name='questions',
            field=models.JSONField(blank=True, default=list, verbose_name='前置问题'),
        ),
        migrations.AddField(
            model_name='case',
            name='delivery_method',
            field=models.CharField(choices=[('window', '窗口领取'), ('postal', '邮寄送达'), ('e_licence', '电子证照')], default='window', max_length=16, verbose_name='送达方式'),
        ),
        migrations.AddField(
            model_name='case',
            name='identity_checked_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='身份核验时间'),
        ),
        migrations.AddField(
            model_name='case',
            name='postal_address',
            field=models.CharField(blank=True, max_length=200, verbose_name='邮寄地址'),
        ),
        migrations.AddField(
            model_name='case',
            name='postal_recipient',
            field=models.CharField(blank=True, max_length=64, verbose_name='收件人'),
        ),
        migrations.AddField(
            model_name='case',
            name='postal_tracking_number',
            field=models.CharField(blank=True, max_length=40, verbose_name='快递单号'),
        ),
        migrations.AddField(
            model_name='case',
            name='rating_reasons',
            field=models.JSONField(blank=True, default=list, verbose_name='评价理由'),
        ),
        migrations.AddField(
            model_name='case',
            name='visits',
            field=models.PositiveSmallIntegerField(default=0, verbose_name='到场次数'),
        ),
        migrations.AddField(
            model_name='caseevent',
            name='in_person',
            field=models.BooleanField(default=False, verbose_name='现场办理'),
        ),
        migrations.AddField(
            model_name='department',
            name='window_delegates',
            field=models.ManyToManyField(blank=True, related_name='service_delegations', to=settings.AUTH_USER_MODEL, verbose_name='窗口即办授权人员'),
        ),
        migrations.AddField(
            model_name='item',
            name='demo',
            field=models.BooleanField(default=False, verbose_name='演示数据'),
        ),
        migrations.AddField(
            model_name='item',
            name='inspection_limit_days',
            field=models.PositiveSmallIntegerField(default=5, verbose_name='勘察时限（工作日）'),
        ),
        migrations.AddField(
            model_name='item',
            name='inspection_required',
            field=models.BooleanField(default=False, verbose_name='需现场勘察'),
        ),
        migrations.AddField(
            model_name='item',
            name='instant',
            field=models.BooleanField(default=False, verbose_name='窗口即办'),
        ),
        migrations.AddField(
            model_name='item',
            name='result_name',
            field=models.CharField(blank=True, help_text='如：机动车维修经营备案证明', max_length=128, verbose_name='结果名称'),
        ),
        migrations.AddField(
            model_name='item',
            name='result_type',
            field=models.CharField(choices=[('licence', '证照'), ('filing', '备案凭证'), ('approval', '批准文书'), ('certificate', '证明'), ('notice', '办结通知')], default='licence', max_length=16, verbose_name='结果类型'),
        ),
        migrations.AddField(
            model_name='material',
            name='checked_by_name',
            field=models.CharField(blank=True, max_length=150, verbose_name='核验人'),
        ),
        migrations.AddField(
            model_name='material',
            name='seen_in_original',
            field=models.BooleanField(default=False, verbose_name='已核验原件'),
        ),
        migrations.AddField(
            model_name='subcase',
            name='decided_at_window',
            field=models.BooleanField(default=False, verbose_name='窗口即办'),
        ),
        migrations.AlterField(
            model_name='bundle',
            name='status',
            field=models.CharField(choices=[('draft', '草稿'), ('published', '已发布'), ('withdrawn', '已撤回')], default='draft', max_length=16, verbose_name='状态'),
        ),
        migrations.AlterField(
            model_name='material',
            name='file',
            field=models.FileField(blank=True, upload_to='services/materials/%Y/%m/', verbose_name='文件'),
        ),
        migrations.AlterField(
            model_name='material',
            name='sha256',
            field=models.CharField(blank=True, max_length=64, verbose_name='SHA-256'),
        ),
        migrations.AddIndex(
            model_name='bundle',
            index=models.Index(fields=['status', 'category'], name='bundle_status_category'),
        ),
        migrations.AddField(
            model_name='cataloguematerial',
            name='region',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.region', verbose_name='区划'),
        ),
        migrations.AddField(
            model_name='consultation',
            name='case',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='services.case', verbose_name='转为办件'),
        ),
        migrations.AddField(
            model_name='consultation',
            name='clerk',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='接待人员'),
        ),
        migrations.AddField(
            model_name='consultation',
            name='region',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.region', verbose_name='区划'),
        ),
        migrations.AddField(
            model_name='departmentrating',
            name='case',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='department_ratings', to='services.case'),
        ),
        migrations.AddField(
            model_name='departmentrating',
            name='department',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='ratings', to='services.department'),
        ),
        migrations.AddField(
            model_name='elicence',
            name='department',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='services.department', verbose_name='发证部门'),
        ),
        migrations.AddField(
            model_name='elicence',
            name='sub_case',
            field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='e_licence', to='services.subcase'),
        ),
        migrations.AddField(
            model_name='inspection',
            name='recorded_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='inspection',
            name='sub_case',
            field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='inspection', to='services.subcase'),
        ),
        migrations.AddField(
            model_name='queueticket',
            name='called_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='queueticket',
            name='case',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='tickets', to='services.case', verbose_name='办件'),
        ),
        migrations.AddField(
            model_name='queueticket',
            name='region',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.region', verbose_name='区划'),
        ),
        migrations.AddField(
            model_name='consultation',
            name='ticket',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='services.queueticket', verbose_name='排队号'),
        ),
        migrations.AddField(
            model_name='servicewindow',
            name='clerks',
            field=models.ManyToManyField(blank=True, related_name='service_windows', to=settings.AUTH_USER_MODEL, verbose_name='窗口人员'),
        ),
        migrations.AddField(
            model_name='servicewindow',
            name='region',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.region', verbose_name='区划'),
        ),
        migrations.AddField(
            model_name='queueticket',
            name='window',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='tickets', to='services.servicewindow', verbose_name='窗口'),
        ),
        migrations.AddField(
            model_name='consultation',
            name='window',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='services.servicewindow', verbose_name='窗口'),
        ),
        migrations.AddField(
            model_name='case',
            name='window',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='services.servicewindow', verbose_name='受理窗口'),
        ),
        migrations.AddConstraint(
            model_name='departmentrating',
            constraint=models.UniqueConstraint(fields=('case', 'department'), name='department_rating_once'),
        ),
        migrations.AddConstraint(
            model_name='elicence',
            constraint=models.UniqueConstraint(fields=('department', 'number'), name='e_licence_number_once'),
        ),
        migrations.AddConstraint(
            model_name='servicewindow',
            constraint=models.UniqueConstraint(fields=('region', 'number'), name='service_window_number_once'),
        ),
        migrations.AddIndex(
            model_name='queueticket',
            index=models.Index(fields=['region', 'local_day', 'state'], name='ticket_day_state'),
        ),
        migrations.AddConstraint(
            model_name='queueticket',
            constraint=models.UniqueConstraint(fields=('region', 'local_day', 'service_type', 'sequence'), name='ticket_once'),
        ),
        migrations.RunPython(freeze_versions, migrations.RunPython.noop),
    ]
