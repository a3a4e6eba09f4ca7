"""网格化社区治理: unified grids, people and units, micro-wishes, resident issues, venues."""

from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "changji.community"
    verbose_name = "网格化社区治理"
    #: Header entries (label, URL name, permission of core.access); core.navigation shows those the user may open.
    menu = (("网格治理", "community:dashboard", "community.read"),)

    def prepare_demo(self) -> str:
        """Build the demo town (木垒镇: 139 grids from 1,238 departmental ones) and its demo accounts."""
        import os  # deferred: the app registry is ready only in ready()

        from changji.community.demo import build_town  # deferred: the app registry is ready only in ready()
        from changji.core.demo import DEMO_ADMIN_PASSWORD_DEFAULT  # deferred: the app registry is ready only in ready()

        made = build_town(password=os.environ.get("CHANGJI_ADMIN_PASSWORD", DEMO_ADMIN_PASSWORD_DEFAULT))
        if not made:
            return "community: demo town 木垒镇 already built"
        return (f"community: 木垒镇 with {made['grids']} grids ({made['departmental_grids']} departmental grids "
                f"mapped), {made['residents']} residents, {made['issues']} issues, "
                f"{made['meetings']} meetings (四方联动), {made['visits']} visits, "
                f"{made['organisations_and_liaisons']} party organisations and 包联, "
                f"{made['outlines']} compound and building outlines; accounts mulei-street, "
                "mulei-community, mulei-grid (the administrator's password)")
