"""Pages of the community app (网格化社区治理): each page module owns its own routes."""

from changji.community.web import (
    dashboard,
    grids,
    issues,
    meetings,
    organisations,
    people,
    public,
    residents_meetings,
    venues,
    visits,
    wishes,
)

app_name = "community"
urlpatterns: list = [
    *dashboard.urlpatterns,
    *grids.urlpatterns,
    *wishes.urlpatterns,
    *issues.urlpatterns,
    *meetings.urlpatterns,
    *people.urlpatterns,
    *venues.urlpatterns,
    *public.urlpatterns,
    *visits.urlpatterns,
    *residents_meetings.urlpatterns,
    *organisations.urlpatterns,
]
