"""Pictures (现场图片): picture policies, scheduled and alarm pictures, review and evidence.

``schedule`` is pure (when a daily picture is due); ``service`` applies the policies and the review actions.
"""
