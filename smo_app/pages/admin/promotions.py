"""/admin/promotions — guarded by its permission; says honestly that a later issue builds it."""
from smo_app.components.backoffice import area_page

page = area_page("promotions")
