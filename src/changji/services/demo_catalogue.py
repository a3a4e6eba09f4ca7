"""Demo catalogue (演示数据, every row ``demo=True``): the 89 bundles of a county-level city's service centre.

Modelled on 阜康市's 一件事一次办 catalogue in its five categories (批发零售类、居民服务类、租赁类、食品加工类、
交通运输类), with the departments of a county-level city. The legal bases name real laws and regulations; the
limits, fees and materials are plausible examples, not the official catalogue. The catalogue is loaded through
the catalogue importer (``catalogue_io.import_rows``, the same checks as an uploaded workbook), so
``seed_demo_catalogue`` is idempotent: a second run finds every row unchanged. ``demo_workbook()`` is the same
catalogue as an XLSX file (the benchmark imports it).

The first bundles are the ones the tests tell stories with: 开办餐馆 (YJS-CY), 便利店 (YJS-LS), 美容美发 (YJS-MR),
房屋租赁中介 (YJS-ZL), 公路养护 (YJS-YH), and the seed's own story, 开办机动车维修店 (YJS-WX), whose items are all
即办 (decided at the window in the same visit).
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypedDict

from django.db import transaction

from changji.core.models import Role, User
from changji.services import catalogue_io
from changji.services.catalogue_io import (
    BUNDLE_ITEMS,
    BUNDLES,
    DEPARTMENTS,
    FIELDS,
    ITEM_MATERIALS,
    ITEMS,
    MATERIALS,
    SHEETS,
)
from changji.services.catalogue_io import QUESTIONS as QUESTION_SHEET
from changji.services.models import Bundle, BundleStatus, Department

REGION = "652302"  # 阜康市
#: The demo catalogue is effective from the start of the demo's history (cases of past years are filed on it).
DEMO_EFFECTIVE_ON = date(2024, 1, 1)
DEMO = "演示数据"

DEPARTMENT_NAMES = {
    "SCJG": "市场监督管理局", "CGJ": "城市管理局", "JTJ": "交通运输局", "WSJ": "卫生健康委员会",
    "ZRZY": "自然资源局", "ZJ": "住房和城乡建设局", "GAJ": "公安局", "XFJY": "消防救援大队", "STHJ": "生态环境局",
    "WTLJ": "文化体育广播电视和旅游局", "RSJ": "人力资源和社会保障局", "SWJ": "商务局", "SWU": "税务局",
    "YJGL": "应急管理局", "YCJ": "烟草专卖局", "NYNC": "农业农村局", "MZJ": "民政局", "JYJ": "教育局",
}

#: 材料目录: code → (name, source, the original is checked at the window).
MATERIAL_CATALOGUE: dict[str, tuple[str, str, bool]] = {
    "id": ("法定代表人身份证明", "申请人自备", False),
    "lease": ("经营场所使用证明", "申请人自备", False),
    "articles": ("公司章程", "申请人自备", False),
    "layout": ("经营场所平面布局图", "申请人自备", False),
    "food_safety": ("食品安全管理制度", "申请人自备", False),
    "sign_design": ("招牌设计效果图", "申请人自备", False),
    "vehicle_list": ("车辆清单及行驶证", "申请人自备", True),
    "drivers": ("驾驶员从业资格证", "部门核发", True),
    "qualification_cert": ("资质证书", "部门核发", True),
    "health_certs": ("从业人员健康合格证明", "部门核发", False),
    "operator_id": ("经营者身份证", "申请人自备", True),
    "property_cert": ("房屋产权证明", "共享获取", False),
    "pharmacist": ("执业药师注册证", "部门核发", True),
    "drug_rules": ("药品质量管理制度", "申请人自备", False),
    "device_rules": ("医疗器械经营质量管理制度", "申请人自备", False),
    "equipment_list": ("设备设施清单", "申请人自备", False),
    "production_flow": ("生产工艺流程图", "申请人自备", False),
    "product_std": ("产品执行标准", "申请人自备", False),
    "cold_chain": ("冷链贮存运输设施说明", "申请人自备", False),
    "lab_report": ("检验能力证明", "申请人自备", False),
    "fire_plan": ("消防安全制度及灭火和应急疏散预案", "申请人自备", False),
    "fire_check": ("消防设施检测报告", "第三方出具", False),
    "eia_form": ("建设项目环境影响登记表", "申请人自备", False),
    "eia_report": ("建设项目环境影响报告表", "第三方出具", False),
    "emission": ("污染防治设施说明", "申请人自备", False),
    "sewage_plan": ("排水设施及预处理说明", "申请人自备", False),
    "staff_list": ("从业人员名单", "申请人自备", False),
    "safety_rules": ("安全生产管理制度", "申请人自备", False),
    "repair_staff": ("维修技术人员资格证明", "申请人自备", True),
    "repair_equipment": ("维修设备设施清单", "申请人自备", False),
    "parking_proof": ("停车场地使用证明", "申请人自备", False),
    "coaches": ("教练员名册及资格证明", "申请人自备", True),
    "training_ground": ("教练场地使用证明", "申请人自备", False),
    "training_vehicles": ("教学车辆行驶证", "申请人自备", True),
    "tank_cert": ("罐体检验合格证明", "第三方出具", True),
    "dg_rules": ("危险货物运输安全管理制度", "申请人自备", False),
    "taxi_rights": ("出租汽车经营权证明", "部门核发", True),
    "gps": ("卫星定位装置安装证明", "第三方出具", False),
    "platform_cert": ("网络平台技术条件说明", "申请人自备", False),
    "station_plan": ("客运站站场平面图", "申请人自备", False),
    "route_plan": ("客运线路及班次方案", "申请人自备", False),
    "waste_contract": ("建筑垃圾消纳场所协议", "申请人自备", False),
    "covered_vehicles": ("密闭运输车辆清单", "申请人自备", True),
    "tobacco_distance": ("经营场所与周边零售点距离说明", "申请人自备", False),
    "publication_source": ("出版物进货渠道说明", "申请人自备", False),
    "hazchem_rules": ("危险化学品安全管理制度", "申请人自备", False),
    "hazchem_staff": ("危险化学品安全培训合格证明", "部门核发", True),
    "firework_store": ("烟花爆竹专用储存柜说明", "申请人自备", False),
    "gas_source": ("气源供应协议", "申请人自备", False),
    "vet_cert": ("执业兽医资格证书", "部门核发", True),
    "drug_store": ("兽药贮存设施说明", "申请人自备", False),
    "pesticide_staff": ("农药专业技术人员证明", "申请人自备", False),
    "metal_rules": ("收购登记制度", "申请人自备", False),
    "prepaid_rules": ("预付卡资金管理制度", "申请人自备", False),
    "car_source": ("车辆来源及交易合同示范文本", "申请人自备", False),
    "recycle_site": ("拆解场地及设备说明", "申请人自备", False),
    "bank_account": ("银行账户信息", "申请人自备", False),
    "labour_contract": ("劳动合同样本", "申请人自备", False),
    "service_rules": ("服务规范及收费标准", "申请人自备", False),
    "agents": ("房地产经纪人员职业资格证书", "部门核发", True),
    "crane_cert": ("起重机械产品合格证及制造许可证明", "第三方出具", True),
    "road_plan": ("停放点设置方案及示意图", "申请人自备", False),
    "water_report": ("水质检验报告", "第三方出具", False),
    "sterilize": ("消毒设施设备说明", "申请人自备", False),
    "school_plan": ("办学章程及培训计划", "申请人自备", False),
    "teachers": ("教师资格证明", "部门核发", True),
    "care_staff": ("养老护理人员名册", "申请人自备", False),
    "guard_staff": ("保安员证", "部门核发", True),
    "guide_list": ("导游及管理人员名册", "申请人自备", False),
    "deposit": ("质量保证金存单", "申请人自备", True),
    "clinic_doctor": ("医师执业证书", "部门核发", True),
    "pool_staff": ("救生员及社会体育指导员证书", "部门核发", True),
    "venue_sound": ("噪声污染防治措施说明", "申请人自备", False),
    "network_security": ("网络安全技术措施说明", "申请人自备", False),
    "invoice_info": ("发票领用信息表", "申请人自备", False),
    "insurance_form": ("社会保险登记表", "申请人自备", False),
}

#: Form fields by name: (label, kind, choices).
FIELD_CATALOGUE: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "business_name": ("名称", "text", ()), "address": ("经营场所", "text", ()),
    "legal_person": ("法定代表人/负责人", "text", ()), "registered_capital": ("注册资本（万元）", "number", ()),
    "food_category": ("经营项目", "choice", ("热食类", "冷食类", "饮品")), "sign_size": ("招牌尺寸（米）", "text", ()),
    "vehicles": ("车辆数", "number", ()), "qualification": ("养护资质等级", "text", ()),
    "operator_name": ("经营者姓名", "text", ()), "business_scope": ("经营范围", "text", ()),
    "premises_rented": ("经营场所是否租赁", "bool", ()), "area_m2": ("经营面积（平方米）", "number", ()),
    "pharmacist_name": ("执业药师姓名", "text", ()),
    "product_category": ("生产食品类别", "choice", ("糕点", "速冻食品", "调味品", "饮料", "粮食加工品", "肉制品",
                                                    "乳制品")),
    "repair_category": ("维修类别", "choice", ("汽车维修", "摩托车维修", "其他机动车维修")),
    "staff_count": ("从业人员数", "number", ()), "rooms": ("客房数", "number", ()), "seats": ("座位数", "number", ()),
    "terminals": ("上网终端数", "number", ()), "tobacco_area": ("卷烟柜台位置", "text", ()),
    "opening_date": ("拟开业日期", "date", ()), "beds": ("床位数", "number", ()),
    "hazchem_kinds": ("经营危险化学品品种", "text", ()), "routes": ("经营线路", "text", ()),
    "cargo_class": ("危险货物类别", "choice", ("第2类气体", "第3类易燃液体", "第8类腐蚀性物质")),
    "training_types": ("培训车型", "choice", ("C1", "C2", "A2", "B2")), "invoice_kind": ("发票种类", "choice",
                                                                                        ("增值税普通发票",
                                                                                         "增值税专用发票")),
}

#: Items: code, name, department, legal basis, statutory and promised limits (working days), fee (yuan), flags
#: (C 告知承诺, I 即办, X 现场勘察), inspection limit, result type and name, fields, materials ("code?condition",
#: "!" at the end: original checked at the window).
ITEM_ROWS: list[tuple[Any, ...]] = [
    ("SCJG-001", "营业执照（设立登记）", "SCJG", "《中华人民共和国市场主体登记管理条例》第十九条", 15, 1, 0, "", 0,
     "licence", "营业执照", ["business_name", "address", "legal_person", "registered_capital"],
     ["id", "lease", "articles"]),
    ("SCJG-002", "食品经营许可", "SCJG", "《中华人民共和国食品安全法》第三十五条", 20, 5, 0, "C", 0, "licence",
     "食品经营许可证", ["business_name", "address", "food_category"], ["id", "lease", "layout", "food_safety"]),
    ("CGJ-001", "户外招牌设置许可", "CGJ", "《城市市容和环境卫生管理条例》第十一条", 20, 5, 0, "", 0, "approval",
     "户外招牌设置审批意见书", ["address", "sign_size"], ["sign_design", "lease"]),
    ("JTJ-001", "道路运输经营许可（货运）", "JTJ", "《中华人民共和国道路运输条例》第二十四条", 20, 10, 0, "C", 0,
     "licence", "道路运输经营许可证", ["business_name", "vehicles"], ["vehicle_list", "drivers"]),
    ("JTJ-002", "公路养护作业单位备案", "JTJ", "《中华人民共和国公路法》第三十五条", 10, 3, 0, "", 0, "filing",
     "公路养护作业单位备案证明", ["business_name", "qualification"], ["qualification_cert"]),
    ("WSJ-001", "公共场所卫生许可", "WSJ", "《公共场所卫生管理条例》第八条", 20, 7, 0, "C", 0, "licence",
     "公共场所卫生许可证", ["business_name", "address"], ["health_certs", "lease"]),
    ("SCJG-003", "营业执照（个体工商户登记）", "SCJG",
     "《促进个体工商户发展条例》第八条；《中华人民共和国市场主体登记管理条例》第二十一条",
     15, 1, 0, "I", 0, "licence", "营业执照（个体工商户）",
     ["business_name", "address", "operator_name", "business_scope", "premises_rented"],
     ["operator_id!", "lease?premises_rented = 是", "property_cert?premises_rented = 否"]),
    ("SCJG-004", "药品经营许可（零售）", "SCJG", "《中华人民共和国药品管理法》第五十二条", 30, 15, 0, "X", 10,
     "licence",
     "药品经营许可证", ["business_name", "address", "pharmacist_name", "area_m2"],
     ["id", "lease", "layout", "pharmacist!", "drug_rules"]),
    ("SCJG-005", "食品生产许可", "SCJG", "《中华人民共和国食品安全法》第三十五条；《食品生产许可管理办法》第十条", 20,
     10,
     0, "X", 10, "licence", "食品生产许可证", ["business_name", "address", "product_category"],
     ["id", "lease", "layout", "production_flow", "equipment_list", "food_safety", "product_std",
      "cold_chain?product_category ∈ 速冻食品|肉制品|乳制品"]),
    ("SCJG-006", "食品小作坊登记", "SCJG", "《新疆维吾尔自治区食品小作坊小餐饮店小食杂店和食品摊贩管理条例》第十条", 15,
     5,
     0, "X", 5, "certificate", "食品小作坊登记证", ["business_name", "address", "product_category"],
     ["operator_id!", "layout", "health_certs"]),
    ("SCJG-007", "第二类医疗器械经营备案", "SCJG", "《医疗器械监督管理条例》第四十一条", 5, 1, 0, "I", 0, "filing",
     "第二类医疗器械经营备案凭证", ["business_name", "address"], ["id", "device_rules"]),
    ("SCJG-008", "特种设备使用登记", "SCJG", "《中华人民共和国特种设备安全法》第三十三条", 15, 5, 0, "", 0,
     "certificate", "特种设备使用登记证", ["business_name", "address"], ["equipment_list", "safety_rules"]),
    ("SCJG-010", "仅销售预包装食品备案", "SCJG", "《中华人民共和国食品安全法》第三十五条第一款", 5, 1, 0, "I", 0,
     "filing", "仅销售预包装食品备案信息采集表", ["business_name", "address"], ["id"]),
    ("SCJG-011", "小餐饮店登记", "SCJG", "《新疆维吾尔自治区食品小作坊小餐饮店小食杂店和食品摊贩管理条例》第二十条", 5,
     1, 0,
     "I", 0, "certificate", "小餐饮店登记证", ["business_name", "address", "seats"],
     ["operator_id!", "health_certs"]),
    ("CGJ-002", "城市建筑垃圾处置（运输）核准", "CGJ", "《城市建筑垃圾管理规定》第七条", 20, 10, 0, "", 0, "approval",
     "建筑垃圾运输核准证", ["business_name", "vehicles"], ["covered_vehicles!", "waste_contract"]),
    ("CGJ-004", "临时占用城市道路许可", "CGJ", "《城市道路管理条例》第三十一条", 20, 10, 0, "", 0, "approval",
     "临时占用城市道路许可证", ["business_name", "address"], ["road_plan"]),
    ("JTJ-003", "机动车维修经营备案", "JTJ", "《中华人民共和国道路运输条例》第四十二条；《机动车维修管理规定》第八条",
     5, 1,
     0, "IX", 1, "filing", "机动车维修经营备案证明", ["business_name", "address", "repair_category"],
     ["repair_staff!", "repair_equipment", "parking_proof"]),
    ("JTJ-004", "巡游出租汽车经营许可", "JTJ", "《巡游出租汽车经营服务管理规定》第八条", 20, 10, 0, "", 0, "licence",
     "道路运输经营许可证（出租汽车）", ["business_name", "vehicles"], ["taxi_rights!", "vehicle_list", "drivers"]),
    ("JTJ-005", "机动车驾驶员培训备案", "JTJ", "《中华人民共和国道路运输条例》第三十九条", 5, 3, 0, "X", 3, "filing",
     "机动车驾驶员培训备案证明", ["business_name", "training_types"],
     ["coaches!", "training_ground", "training_vehicles!"]),
    ("JTJ-006", "道路危险货物运输许可", "JTJ", "《道路危险货物运输管理规定》第十条", 20, 15, 0, "X", 5, "licence",
     "道路运输经营许可证（危险货物）", ["business_name", "vehicles", "cargo_class"],
     ["vehicle_list", "drivers", "tank_cert!", "dg_rules"]),
    ("JTJ-007", "道路运输证配发", "JTJ", "《中华人民共和国道路运输条例》第二十六条", 5, 1, 0, "I", 0, "certificate",
     "道路运输证", ["business_name", "vehicles"], ["vehicle_list", "gps"]),
    ("JTJ-008", "网络预约出租汽车经营许可", "JTJ", "《网络预约出租汽车经营服务管理暂行办法》第五条", 20, 10, 0, "", 0,
     "licence", "网络预约出租汽车经营许可证", ["business_name"], ["platform_cert", "service_rules", "bank_account"]),
    ("JTJ-009", "小微型客车租赁经营备案", "JTJ", "《小微型客车租赁经营服务管理办法》第七条", 5, 1, 0, "I", 0, "filing",
     "小微型客车租赁经营备案证明", ["business_name", "vehicles"], ["vehicle_list", "service_rules"]),
    ("JTJ-010", "汽车客运站经营许可", "JTJ", "《道路旅客运输及客运站管理规定》第十七条", 20, 15, 0, "X", 5, "licence",
     "道路运输经营许可证（客运站）", ["business_name", "address"], ["station_plan", "safety_rules", "equipment_list"]),
    ("JTJ-011", "道路旅客运输经营许可", "JTJ", "《中华人民共和国道路运输条例》第十条", 20, 15, 0, "", 0, "licence",
     "道路运输经营许可证（客运）", ["business_name", "vehicles", "routes"],
     ["vehicle_list", "drivers", "route_plan", "safety_rules"]),
    ("WSJ-002", "诊所备案", "WSJ", "《医疗机构管理条例》第十五条；《诊所备案管理暂行办法》第五条", 15, 5, 0, "X", 5,
     "filing",
     "诊所备案凭证", ["business_name", "address", "beds"], ["clinic_doctor!", "layout", "sterilize"]),
    ("WSJ-003", "生活饮用水供水单位卫生许可", "WSJ", "《生活饮用水卫生监督管理办法》第二十一条", 20, 10, 0, "X", 5,
     "licence", "卫生许可证（供水单位）", ["business_name", "address"], ["water_report", "health_certs", "sterilize"]),
    ("ZJ-001", "城镇污水排入排水管网许可", "ZJ", "《城镇排水与污水处理条例》第二十一条", 20, 7, 0, "C", 0, "licence",
     "城镇污水排入排水管网许可证", ["business_name", "address"], ["sewage_plan"]),
    ("ZJ-002", "燃气经营许可", "ZJ", "《城镇燃气管理条例》第十五条", 20, 15, 0, "X", 5, "licence", "燃气经营许可证",
     ["business_name", "address"], ["gas_source", "safety_rules", "fire_plan"]),
    ("ZJ-003", "房地产经纪机构备案", "ZJ", "《房地产经纪管理办法》第十一条", 5, 1, 0, "I", 0, "filing",
     "房地产经纪机构备案证明", ["business_name", "address"], ["agents!", "service_rules"]),
    ("ZJ-004", "住房租赁企业信息登记", "ZJ", "《商品房屋租赁管理办法》第十四条", 5, 1, 0, "I", 0, "filing",
     "住房租赁企业登记证明", ["business_name", "address"], ["service_rules", "bank_account"]),
    ("ZJ-005", "建筑起重机械产权备案", "ZJ", "《建筑起重机械安全监督管理规定》第五条", 7, 3, 0, "", 0, "filing",
     "建筑起重机械备案证明", ["business_name"], ["crane_cert!", "equipment_list"]),
    ("GAJ-002", "旅馆业特种行业许可", "GAJ", "《旅馆业治安管理办法》第四条", 20, 10, 0, "X", 5, "licence",
     "特种行业许可证（旅馆业）", ["business_name", "address", "rooms"], ["id", "layout", "safety_rules"]),
    ("GAJ-003", "废旧金属收购业备案", "GAJ", "《废旧金属收购业治安管理办法》第四条", 5, 1, 0, "I", 0, "filing",
     "废旧金属收购业备案证明", ["business_name", "address"], ["metal_rules"]),
    ("GAJ-004", "保安服务许可", "GAJ", "《保安服务管理条例》第九条", 20, 15, 0, "", 0, "licence", "保安服务许可证",
     ["business_name", "staff_count"], ["guard_staff!", "service_rules", "articles"]),
    ("XFJY-001", "公众聚集场所投入使用、营业前消防安全检查", "XFJY", "《中华人民共和国消防法》第十五条", 10, 5, 0, "CX",
     3, "approval", "公众聚集场所投入使用、营业前消防安全检查合格证", ["business_name", "address", "area_m2"],
     ["fire_plan", "fire_check", "layout"]),
    ("STHJ-001", "建设项目环境影响登记表备案", "STHJ", "《中华人民共和国环境影响评价法》第十六条", 1, 1, 0, "I", 0,
     "filing", "建设项目环境影响登记表备案回执", ["business_name", "address"], ["eia_form"]),
    ("STHJ-002", "固定污染源排污登记", "STHJ", "《排污许可管理条例》第二十四条", 5, 1, 0, "I", 0, "filing",
     "固定污染源排污登记回执", ["business_name", "address"], ["emission"]),
    ("STHJ-003", "建设项目环境影响报告表审批", "STHJ", "《中华人民共和国环境影响评价法》第二十二条", 60, 20, 0, "", 0,
     "approval", "环境影响报告表批复", ["business_name", "address"], ["eia_report", "emission"]),
    ("WTLJ-001", "娱乐场所经营许可", "WTLJ", "《娱乐场所管理条例》第九条", 20, 10, 0, "X", 5, "licence",
     "娱乐经营许可证", ["business_name", "address", "area_m2"], ["id", "layout", "venue_sound"]),
    ("WTLJ-002", "互联网上网服务营业场所经营许可", "WTLJ", "《互联网上网服务营业场所管理条例》第十一条", 20, 10, 0, "X",
     5, "licence", "网络文化经营许可证", ["business_name", "address", "terminals"],
     ["id", "layout", "network_security"]),
    ("WTLJ-003", "出版物零售经营许可", "WTLJ", "《出版管理条例》第三十七条", 20, 10, 0, "", 0, "licence",
     "出版物经营许可证", ["business_name", "address"], ["id", "lease", "publication_source"]),
    ("WTLJ-004", "高危险性体育项目经营许可（游泳）", "WTLJ", "《全民健身条例》第三十二条", 30, 15, 0, "X", 5, "licence",
     "高危险性体育项目经营许可证", ["business_name", "address", "area_m2"], ["pool_staff!", "safety_rules"]),
    ("WTLJ-005", "旅行社业务经营许可", "WTLJ", "《旅行社条例》第七条", 20, 10, 0, "", 0, "licence",
     "旅行社业务经营许可证", ["business_name", "address"], ["guide_list", "deposit!"]),
    ("RSJ-001", "人力资源服务许可", "RSJ", "《人力资源市场暂行条例》第十八条", 20, 10, 0, "C", 0, "licence",
     "人力资源服务许可证", ["business_name", "staff_count"], ["staff_list", "service_rules"]),
    ("RSJ-002", "劳务派遣经营许可", "RSJ", "《中华人民共和国劳动合同法》第五十七条", 20, 10, 0, "", 0, "licence",
     "劳务派遣经营许可证", ["business_name", "registered_capital"], ["labour_contract", "service_rules"]),
    ("RSJ-003", "社会保险登记", "RSJ", "《中华人民共和国社会保险法》第五十七条", 15, 1, 0, "I", 0, "certificate",
     "社会保险登记证明", ["business_name", "staff_count"], ["insurance_form"]),
    ("SWJ-001", "单用途商业预付卡备案", "SWJ", "《单用途商业预付卡管理办法（试行）》第七条", 5, 1, 0, "I", 0, "filing",
     "单用途商业预付卡备案证明", ["business_name"], ["prepaid_rules"]),
    ("SWJ-002", "再生资源回收经营者备案", "SWJ", "《再生资源回收管理办法》第七条", 5, 1, 0, "I", 0, "filing",
     "再生资源回收经营者备案证明", ["business_name", "address"], ["lease", "metal_rules"]),
    ("SWJ-003", "二手车经营主体备案", "SWJ", "《二手车流通管理办法》第十一条", 5, 1, 0, "I", 0, "filing",
     "二手车经营主体备案证明", ["business_name", "address"], ["car_source"]),
    ("SWJ-004", "报废机动车回收拆解企业资质认定", "SWJ", "《报废机动车回收管理办法》第七条", 30, 20, 0, "X", 10,
     "approval",
     "报废机动车回收拆解企业资质认定书", ["business_name", "address"], ["recycle_site", "equipment_list",
                                                                        "safety_rules"]),
    ("SWU-001", "新办纳税人涉税事项（发票领用）", "SWU", "《中华人民共和国税收征收管理法》第十五条", 1, 1, 0, "I", 0,
     "notice", "发票领用通知", ["business_name", "invoice_kind"], ["invoice_info"]),
    ("YJGL-001", "危险化学品经营许可", "YJGL", "《危险化学品安全管理条例》第三十五条", 30, 15, 0, "X", 5, "licence",
     "危险化学品经营许可证", ["business_name", "address", "hazchem_kinds"], ["hazchem_rules", "hazchem_staff!"]),
    ("YJGL-002", "烟花爆竹经营（零售）许可", "YJGL", "《烟花爆竹安全管理条例》第十九条", 20, 10, 0, "X", 3, "licence",
     "烟花爆竹经营（零售）许可证", ["business_name", "address"], ["firework_store", "safety_rules"]),
    ("YCJ-001", "烟草专卖零售许可", "YCJ", "《中华人民共和国烟草专卖法》第十六条", 20, 10, 0, "X", 5, "licence",
     "烟草专卖零售许可证", ["business_name", "address", "tobacco_area"], ["id", "lease", "tobacco_distance"]),
    ("NYNC-001", "兽药经营许可", "NYNC", "《兽药管理条例》第二十二条", 20, 10, 0, "X", 5, "licence", "兽药经营许可证",
     ["business_name", "address"], ["vet_cert!", "drug_store"]),
    ("NYNC-002", "农药经营许可", "NYNC", "《农药管理条例》第二十四条", 20, 10, 0, "", 0, "licence", "农药经营许可证",
     ["business_name", "address"], ["pesticide_staff", "lease"]),
    ("NYNC-003", "动物防疫条件合格证核发", "NYNC", "《中华人民共和国动物防疫法》第二十五条", 20, 10, 0, "X", 5,
     "certificate",
     "动物防疫条件合格证", ["business_name", "address"], ["layout", "sterilize"]),
    ("NYNC-004", "动物诊疗许可", "NYNC", "《动物诊疗机构管理办法》第七条", 20, 10, 0, "X", 5, "licence",
     "动物诊疗许可证", ["business_name", "address"], ["vet_cert!", "layout", "sterilize"]),
    ("MZJ-001", "养老机构备案", "MZJ", "《养老机构管理办法》第九条", 5, 1, 0, "I", 0, "filing", "养老机构备案回执",
     ["business_name", "address", "beds"], ["care_staff", "fire_plan"]),
    ("JYJ-001", "民办培训机构办学许可", "JYJ", "《中华人民共和国民办教育促进法》第十二条", 30, 20, 0, "X", 10,
     "licence",
     "民办学校办学许可证", ["business_name", "address"], ["school_plan", "teachers!", "lease"]),
]

#: Questions asked first, by name: (label, kind, choices).
QUESTION_CATALOGUE: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "outdoor_sign": ("是否设置户外招牌", "bool", ()), "sells_food": ("是否销售食品", "bool", ()),
    "has_trucks": ("是否自有货运车辆", "bool", ()), "sells_tobacco": ("是否销售卷烟", "bool", ()),
    "hires_staff": ("是否招用员工（办理社会保险登记）", "bool", ()), "prepaid_cards": ("是否发行单用途预付卡", "bool",
                                                                                       ()),
    "large_venue": ("营业面积是否在 300 平方米以上（公众聚集场所）", "bool", ()),
    "discharges_sewage": ("是否向市政管网排放经营性污水", "bool", ()),
    "sells_hazchem": ("是否经营油漆、稀释剂等危险化学品", "bool", ()), "has_elevator": ("是否使用电梯等特种设备",
                                                                                        "bool", ()),
    "needs_invoice": ("是否需要申领发票", "bool", ()), "sells_devices": ("是否经营第二类医疗器械", "bool", ()),
    "buys_metal": ("是否收购生产性废旧金属", "bool", ()), "spray_painting": ("是否从事喷漆作业", "bool", ()),
    "provides_meals": ("是否提供餐饮服务", "bool", ()),
}
#: The questions of old, which the first five bundles ask (the tests answer them).
QUESTIONS = [{"name": name, "label": QUESTION_CATALOGUE[name][0], "kind": "bool", "required": False}
             for name in ("outdoor_sign", "sells_food", "has_trucks")]

SIGN, STAFF, INVOICE = "CGJ-001?outdoor_sign", "RSJ-003?hires_staff", "SWU-001?needs_invoice"
PREPAID = "SWJ-001?prepaid_cards"
FIRE, SEWAGE, HAZCHEM = "XFJY-001?large_venue", "ZJ-001?discharges_sewage", "YJGL-001?sells_hazchem"
#: Bundles by category: (code, name, lead department, refusal fails the case, online, items as "CODE?question").
#: ``CODE?q`` applies when question q is answered 是.
BUNDLE_ROWS: dict[str, list[tuple[str, str, str, bool, bool, list[str]]]] = {
    "wholesale_retail": [
        ("YJS-LS", "开办便利店一件事", "SCJG", False, True, ["SCJG-001", "SCJG-002?sells_food", SIGN]),
        ("YJS-PL01", "开办药店一件事", "SCJG", True, True, ["SCJG-001", "SCJG-004", "SCJG-007?sells_devices", SIGN]),
        ("YJS-PL02", "开办书店一件事", "WTLJ", False, True, ["SCJG-001", "WTLJ-003", "SCJG-010?sells_food", SIGN]),
        ("YJS-PL03", "开办五金店一件事", "SCJG", False, True, ["SCJG-003", HAZCHEM, SIGN]),
        ("YJS-PL04", "开办烟酒店一件事", "SCJG", False, True, ["SCJG-003", "YCJ-001", "SCJG-010", SIGN]),
        ("YJS-PL05", "开办超市一件事", "SCJG", False, True,
         ["SCJG-001", "SCJG-002", "YCJ-001?sells_tobacco", FIRE, SIGN, STAFF]),
        ("YJS-PL06", "开办水果店一件事", "SCJG", False, True, ["SCJG-003", "SCJG-010", SIGN]),
        ("YJS-PL07", "开办服装店一件事", "SCJG", False, True, ["SCJG-003", SIGN, INVOICE]),
        ("YJS-PL08", "开办眼镜店一件事", "SCJG", False, True, ["SCJG-003", "SCJG-007?sells_devices", SIGN]),
        ("YJS-PL09", "开办母婴用品店一件事", "SCJG", False, True, ["SCJG-003", "SCJG-010?sells_food", SIGN]),
        ("YJS-PL10", "开办农资店一件事", "NYNC", False, True, ["SCJG-003", "NYNC-002", SIGN]),
        ("YJS-PL11", "开办兽药店一件事", "NYNC", True, True, ["SCJG-003", "NYNC-001"]),
        ("YJS-PL12", "开办废品回收站一件事", "SWJ", False, True,
         ["SCJG-003", "SWJ-002", "GAJ-003?buys_metal", "STHJ-002"]),
        ("YJS-PL13", "开办二手车经销店一件事", "SWJ", False, True, ["SCJG-001", "SWJ-003", SIGN, INVOICE]),
        ("YJS-PL14", "开办烟花爆竹零售点一件事", "YJGL", True, False, ["SCJG-003", "YJGL-002"]),
        ("YJS-PL15", "开办瓶装液化气供应站一件事", "ZJ", True, False, ["SCJG-001", "ZJ-002", FIRE]),
        ("YJS-PL16", "开办手机通讯店一件事", "SCJG", False, True, ["SCJG-003", SIGN, INVOICE]),
        ("YJS-PL17", "开办家电销售店一件事", "SCJG", False, True, ["SCJG-001", SIGN, INVOICE, STAFF]),
        ("YJS-PL18", "开办建材批发部一件事", "SCJG", False, True, ["SCJG-001", HAZCHEM, INVOICE]),
    ],
    "resident_services": [
        ("YJS-MR", "开办美容美发店一件事", "SCJG", False, True, ["SCJG-001", "WSJ-001"]),
        ("YJS-JM01", "开办理发店一件事", "SCJG", False, True, ["SCJG-003", "WSJ-001", PREPAID, SIGN]),
        ("YJS-JM02", "开办洗衣店一件事", "SCJG", False, True, ["SCJG-003", SEWAGE, "STHJ-001", SIGN]),
        ("YJS-JM03", "开办家政服务公司一件事", "SCJG", False, True, ["SCJG-001", STAFF, INVOICE]),
        ("YJS-JM04", "开办宾馆一件事", "GAJ", True, True,
         ["SCJG-001", "GAJ-002", "WSJ-001", "XFJY-001", "SCJG-008?has_elevator", SIGN]),
        ("YJS-JM05", "开办足浴店一件事", "SCJG", False, True, ["SCJG-003", "WSJ-001", PREPAID, FIRE]),
        ("YJS-JM06", "开办健身房一件事", "WTLJ", False, True, ["SCJG-001", FIRE, PREPAID, STAFF]),
        ("YJS-JM07", "开办游泳馆一件事", "WTLJ", True, True, ["SCJG-001", "WTLJ-004", "WSJ-001", "XFJY-001"]),
        ("YJS-JM08", "开办歌舞娱乐场所一件事", "WTLJ", True, True, ["SCJG-001", "WTLJ-001", "XFJY-001", "STHJ-001",
                                                                    SIGN]),
        ("YJS-JM09", "开办网吧一件事", "WTLJ", True, True, ["SCJG-001", "WTLJ-002", "XFJY-001"]),
        ("YJS-JM10", "开办诊所一件事", "WSJ", True, True, ["SCJG-001", "WSJ-002", "STHJ-001", SEWAGE]),
        ("YJS-JM11", "开办养老院一件事", "MZJ", False, True, ["MZJ-001", "XFJY-001", "SCJG-002?provides_meals"]),
        ("YJS-JM12", "开办培训学校一件事", "JYJ", True, True, ["JYJ-001", FIRE]),
        ("YJS-JM13", "开办职业中介机构一件事", "RSJ", True, True, ["SCJG-001", "RSJ-001"]),
        ("YJS-JM14", "开办劳务派遣公司一件事", "RSJ", True, True, ["SCJG-001", "RSJ-002", "RSJ-003"]),
        ("YJS-JM15", "开办旅行社一件事", "WTLJ", True, True, ["SCJG-001", "WTLJ-005", INVOICE]),
        ("YJS-JM16", "开办保安服务公司一件事", "GAJ", True, False, ["SCJG-001", "GAJ-004", "RSJ-003"]),
        ("YJS-JM17", "开办宠物医院一件事", "NYNC", True, True, ["SCJG-001", "NYNC-004", "STHJ-001"]),
        ("YJS-JM18", "开办摄影店一件事", "SCJG", False, True, ["SCJG-003", PREPAID, SIGN]),
        ("YJS-JM19", "开办美甲店一件事", "SCJG", False, True, ["SCJG-003", "WSJ-001", PREPAID]),
        ("YJS-JM20", "开办家电维修店一件事", "SCJG", False, True, ["SCJG-003", SIGN]),
    ],
    "leasing": [
        ("YJS-ZL", "开办房屋租赁中介一件事", "SCJG", False, True, ["SCJG-001"]),
        ("YJS-ZN01", "开办汽车租赁公司一件事", "JTJ", False, True, ["SCJG-001", "JTJ-009", SIGN, INVOICE]),
        ("YJS-ZN02", "开办房屋中介一件事", "ZJ", False, True, ["SCJG-001", "ZJ-003", SIGN]),
        ("YJS-ZN03", "开办住房租赁企业一件事", "ZJ", False, True, ["SCJG-001", "ZJ-004", INVOICE]),
        ("YJS-ZN04", "开办工程机械租赁公司一件事", "ZJ", False, True, ["SCJG-001", "ZJ-005", STAFF]),
        ("YJS-ZN05", "开办电动自行车租赁点一件事", "SCJG", False, True, ["SCJG-003", "CGJ-004"]),
        ("YJS-ZN06", "开办婚纱礼服租赁店一件事", "SCJG", False, True, ["SCJG-003", PREPAID, SIGN]),
        ("YJS-ZN07", "开办会议场地租赁公司一件事", "SCJG", False, True, ["SCJG-001", "XFJY-001", INVOICE]),
        ("YJS-ZN08", "开办仓储设施租赁公司一件事", "SCJG", False, True, ["SCJG-001", FIRE, HAZCHEM]),
        ("YJS-ZN09", "开办农业机械租赁公司一件事", "SCJG", False, True, ["SCJG-001", INVOICE, STAFF]),
        ("YJS-ZN10", "开办脚手架租赁公司一件事", "SCJG", False, True, ["SCJG-001", INVOICE]),
        ("YJS-ZN11", "开办集贸市场（摊位租赁）一件事", "SCJG", False, True, ["SCJG-001", "XFJY-001",
                                                                             "SCJG-010?sells_food"]),
    ],
    "food_processing": [
        ("YJS-CY", "开办餐馆一件事", "SCJG", False, True, ["SCJG-001", "SCJG-002", SIGN]),
        ("YJS-SP01", "开办面包房一件事", "SCJG", False, True, ["SCJG-001", "SCJG-002", SIGN, SEWAGE]),
        ("YJS-SP02", "开办火锅店一件事", "SCJG", False, True, ["SCJG-001", "SCJG-002", FIRE, SEWAGE, SIGN]),
        ("YJS-SP03", "开办奶茶店一件事", "SCJG", False, True, ["SCJG-003", "SCJG-002", SIGN]),
        ("YJS-SP04", "开办小吃店一件事", "SCJG", False, True, ["SCJG-003", "SCJG-011", SIGN]),
        ("YJS-SP05", "开办烧烤店一件事", "SCJG", False, True, ["SCJG-001", "SCJG-002", "STHJ-001", SIGN]),
        ("YJS-SP06", "开办食品小作坊一件事", "SCJG", False, True, ["SCJG-003", "SCJG-006"]),
        ("YJS-SP07", "开办糕点加工厂一件事", "SCJG", True, True, ["SCJG-001", "SCJG-005", "STHJ-001", STAFF]),
        ("YJS-SP08", "开办桶装饮用水厂一件事", "SCJG", True, True, ["SCJG-001", "SCJG-005", "WSJ-003"]),
        ("YJS-SP09", "开办调味品加工厂一件事", "SCJG", True, True, ["SCJG-001", "SCJG-005", "STHJ-001"]),
        ("YJS-SP10", "开办肉制品加工厂一件事", "SCJG", True, True, ["SCJG-001", "SCJG-005", "NYNC-003", "STHJ-003"]),
        ("YJS-SP11", "开办乳制品加工厂一件事", "SCJG", True, True, ["SCJG-001", "SCJG-005", "NYNC-003", "STHJ-003"]),
        ("YJS-SP12", "开办粮油加工厂一件事", "SCJG", True, True, ["SCJG-001", "SCJG-005", "STHJ-001",
                                                                  "SCJG-008?has_elevator"]),
        ("YJS-SP13", "开办速冻食品厂一件事", "SCJG", True, True, ["SCJG-001", "SCJG-005", "STHJ-002"]),
        ("YJS-SP14", "开办中央厨房一件事", "SCJG", True, True, ["SCJG-001", "SCJG-002", "ZJ-001", "STHJ-001"]),
        ("YJS-SP15", "开办集体用餐配送单位一件事", "SCJG", True, True, ["SCJG-001", "SCJG-002", SEWAGE, STAFF]),
        ("YJS-SP16", "开办咖啡馆一件事", "SCJG", False, True, ["SCJG-001", "SCJG-002", SIGN]),
        ("YJS-SP17", "开办清真餐厅一件事", "SCJG", False, True, ["SCJG-001", "SCJG-002", FIRE, SIGN]),
        ("YJS-SP18", "开办早餐店一件事", "SCJG", False, True, ["SCJG-003", "SCJG-011"]),
        ("YJS-SP19", "开办饮料加工厂一件事", "SCJG", True, True, ["SCJG-001", "SCJG-005", "STHJ-001", SEWAGE]),
    ],
    "transport": [
        ("YJS-YH", "公路养护企业开业一件事", "JTJ", True, True, ["SCJG-001", "JTJ-002", "JTJ-001?has_trucks"]),
        ("YJS-WX", "开办机动车维修店一件事", "JTJ", False, True, ["SCJG-003", "JTJ-003"]),
        ("YJS-JT01", "开办货运公司一件事", "JTJ", True, True, ["SCJG-001", "JTJ-001", "JTJ-007"]),
        ("YJS-JT02", "开办驾校一件事", "JTJ", True, True, ["SCJG-001", "JTJ-005", FIRE]),
        ("YJS-JT03", "开办出租车公司一件事", "JTJ", True, True, ["SCJG-001", "JTJ-004", "JTJ-007"]),
        ("YJS-JT04", "开办机动车维修企业一件事", "JTJ", False, True,
         ["SCJG-001", "JTJ-003", "STHJ-003?spray_painting", SEWAGE]),
        ("YJS-JT05", "开办洗车店一件事", "JTJ", False, True, ["SCJG-003", "ZJ-001", SIGN]),
        ("YJS-JT06", "开办网约车平台公司一件事", "JTJ", True, True, ["SCJG-001", "JTJ-008", STAFF]),
        ("YJS-JT07", "开办危险货物运输公司一件事", "JTJ", True, False, ["SCJG-001", "JTJ-006", "JTJ-007"]),
        ("YJS-JT08", "开办客运公司一件事", "JTJ", True, True, ["SCJG-001", "JTJ-011", "JTJ-007"]),
        ("YJS-JT09", "开办汽车客运站一件事", "JTJ", True, False, ["SCJG-001", "JTJ-010", "XFJY-001"]),
        ("YJS-JT10", "开办物流公司一件事", "JTJ", False, True, ["SCJG-001", "JTJ-001?has_trucks", INVOICE, STAFF]),
        ("YJS-JT11", "开办建筑垃圾运输公司一件事", "CGJ", True, True, ["SCJG-001", "JTJ-001", "CGJ-002"]),
        ("YJS-JT12", "开办摩托车维修店一件事", "JTJ", False, True, ["SCJG-003", "JTJ-003"]),
        ("YJS-JT13", "开办汽车美容店一件事", "JTJ", False, True, ["SCJG-003", SEWAGE, SIGN]),
        ("YJS-JT14", "开办报废机动车回收企业一件事", "SWJ", True, False, ["SCJG-001", "SWJ-004", "STHJ-003"]),
        ("YJS-JT15", "开办旅游客运公司一件事", "JTJ", True, True, ["SCJG-001", "JTJ-011", "JTJ-007", INVOICE]),
    ],
}


def _yes(value: bool) -> str:
    return "是" if value else "否"


def _dept(short: str) -> str:
    return f"{REGION}-{short}"


def _field_row(owner: str, name: str, catalogue: dict[str, tuple[str, str, tuple[str, ...]]],
               required: bool) -> list[Any]:
    label, kind, choices = catalogue[name]
    return [owner, name, label, catalogue_io.KIND_LABELS[kind], _yes(required), "|".join(choices), ""]


def _item_rows(out: dict[str, list[list[Any]]]) -> None:
    for code, name, dept, basis, statutory, promised, fee, flags, days, result, result_name, fields, materials in (
            ITEM_ROWS):
        out[ITEMS].append([code, name, _dept(dept), basis, statutory, promised, fee, _yes("C" in flags), 20,
                           _yes("I" in flags), _yes("X" in flags), days or 5, result, result_name, "是"])
        for field_name in fields:
            row = _field_row(code, field_name, FIELD_CATALOGUE, True)
            if code == "SCJG-003" and field_name == "premises_rented":
                row[4] = "否"  # a yes-or-no field: unanswered means 否
            out[FIELDS].append(row)
        for spec in materials:
            spec, original = (spec[:-1], True) if spec.endswith("!") else (spec, False)
            material, _, condition = spec.partition("?")
            out[ITEM_MATERIALS].append([code, material, MATERIAL_CATALOGUE[material][0], "是", condition,
                                        _yes(original)])


def _bundle_rows(out: dict[str, list[list[Any]]]) -> None:
    for category, rows in BUNDLE_ROWS.items():
        for code, name, lead, fails, online, members in rows:
            out[BUNDLES].append([code, 1, name, category, REGION, _dept(lead), _yes(online), _yes(fails),
                                 f"{DEMO}：{name}，一次告知、一表申请、一套材料、一窗受理。", "已发布",
                                 f"{DEMO_EFFECTIVE_ON:%Y-%m-%d}", "是"])
            asked: list[str] = []
            for position, member in enumerate(members):
                item, _, question = member.partition("?")
                out[BUNDLE_ITEMS].append([code, item, position, f"{question} = 是" if question else ""])
                if question and question not in asked:
                    asked.append(question)
            for question in asked:
                out[QUESTION_SHEET].append(_field_row(code, question, QUESTION_CATALOGUE, False))


def demo_rows() -> dict[str, list[list[Any]]]:
    """The demo catalogue as the workbook's sheets (headers first)."""
    out: dict[str, list[list[Any]]] = {name: [[c.header for c in columns]] for name, columns in SHEETS.items()}
    out[DEPARTMENTS] += [[_dept(short), name, REGION] for short, name in DEPARTMENT_NAMES.items()]
    out[MATERIALS] += [[code, name, REGION, f"{DEMO}：{name}（示例说明，请以窗口告知为准）", source, _yes(original),
                        "是"]
                       for code, (name, source, original) in MATERIAL_CATALOGUE.items()]
    _item_rows(out)
    _bundle_rows(out)
    return out


def demo_workbook() -> bytes:
    """The demo catalogue as an XLSX workbook (what ``changji services import-catalogue`` reads)."""
    return catalogue_io.workbook_of(demo_rows())


@transaction.atomic
def seed_demo_catalogue() -> list[Bundle]:
    """Load the demo catalogue through the importer (idempotent); return its published bundles."""
    result = catalogue_io.import_rows(catalogue_io.sheet_rows(demo_rows()), "demo")
    if result.errors:  # the demo's own catalogue is consistent; say where if an edit broke it
        raise RuntimeError("demo catalogue refused: " + "; ".join(map(str, result.errors[:5])))
    codes = [row[0] for rows in BUNDLE_ROWS.values() for row in rows]
    return list(Bundle.objects.filter(code__in=codes, status=BundleStatus.PUBLISHED).order_by("code", "version"))


class Account(TypedDict):
    """A demo account: its role and the departments it reviews or decides 即办 items for."""

    role: Role
    reviews: list[str]
    delegate_of: list[str]


def seed_demo_staff(password: str) -> list[str]:
    """Demo accounts of the 阜康市 service centre: the centre's administrator, a window clerk, one reviewer each.

    The clerk is a window delegate (窗口即办授权) of 交通运输局 and 市场监督管理局, so the 即办 items of
    开办机动车维修店 are decided at the window. Existing accounts keep their passwords. Returns the usernames.
    """
    accounts: dict[str, Account] = {
        "fukang-centre": {"role": Role.SERVICE_CENTRE_ADMIN, "reviews": [], "delegate_of": []},
        "fukang-clerk": {"role": Role.WINDOW_CLERK, "reviews": [], "delegate_of": ["JTJ", "SCJG"]},
    }
    for short in DEPARTMENT_NAMES:
        accounts[f"fukang-{short.lower()}"] = {"role": Role.DEPARTMENT_REVIEWER, "reviews": [short], "delegate_of": []}
    for username, account in accounts.items():
        user, created = User.objects.get_or_create(username=username,
                                                   defaults={"role": account["role"], "region_id": REGION})
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        for short in account["reviews"]:
            Department.objects.get(code=_dept(short)).reviewers.add(user)
        for short in account["delegate_of"]:
            Department.objects.get(code=_dept(short)).window_delegates.add(user)
    return list(accounts)
