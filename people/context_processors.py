from django.http import HttpRequest

from people.access import active_role, available_roles


def roles(request: HttpRequest) -> dict[str, object]:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {"active_role": active_role(request), "available_roles": available_roles(request)}
