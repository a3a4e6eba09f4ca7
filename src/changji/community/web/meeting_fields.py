"""The fields of a 四方联动 meeting shared by its own form (``web.meetings``) and the issue page's (``web.issues``)."""

from __future__ import annotations

from django import forms

from changji.core import params


class MeetingPartiesForm(forms.Form):
    """When and where, the four parties (or why one was absent), an invited department, the minutes."""

    held_at = params.MomentField(label="召开时间", input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                                 widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    place = forms.CharField(label="地点", max_length=128)
    party_attendee = forms.CharField(label="社区党组织参会人", max_length=64, required=False)
    committee_attendee = forms.CharField(label="居委会参会人", max_length=64, required=False)
    owners_committee_attendee = forms.CharField(label="业委会参会人", max_length=64, required=False)
    property_attendee = forms.CharField(label="物业参会人", max_length=64, required=False)
    department_attendee = forms.CharField(label="列席部门或派出所", max_length=64, required=False)
    absence_reason = forms.CharField(label="缺席说明（四方未到齐时必填）", max_length=255, required=False)
    minutes = forms.CharField(label="会议纪要", max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
