from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from people import roles
from people.forms import SignInForm


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    redirect_authenticated_user = True


sign_in = SignInView.as_view()


@require_POST
def role_switch(request: HttpRequest) -> HttpResponse:
    chosen = roles.switch(request, request.POST.get("role", ""))
    if chosen is None:
        messages.error(request, "You do not hold that role.")
    else:
        messages.success(request, f"You are now acting as {chosen.in_sentence}.")
    return redirect("home")
