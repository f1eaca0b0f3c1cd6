"""{% may_load_library as may_import %}: whether the viewer may load a file into the unit library, as the library
policy (assessments/centre/library_policy.py) says, for the unit list in units/, which may not import roles."""

from __future__ import annotations

from django import template

from assessments.centre.library_policy import library_links, library_may

register = template.Library()


@register.simple_tag(takes_context=True)
def may_load_library(context: template.Context) -> bool:
    request = context["request"]
    return bool(library_may(request.user.pk, library_links(request), "import"))
