"""Files handed out at a session: upload, download (permission-checked), delete."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from members.page_actions import run_service_for_form
from members.permissions import permission_required
from members.uploads import private_file_download

from ..forms import MaterialForm
from ..permissions import get_material_for_user, get_session_for_user
from ..services import materials as materials_services


@require_POST
@permission_required("education.change_session", get_session_for_user)
def material_add(request, session):
    form = MaterialForm(request.POST, request.FILES)
    run_service_for_form(
        request,
        form,
        lambda: materials_services.material_add(
            session=session,
            title=form.cleaned_data["title"],
            file=form.cleaned_data["file"],
            actor=request.user,
        ),
        _("The material is uploaded."),
    )
    return redirect("education:session_detail", session.pk)


@login_required
def material_download(request, pk):
    return private_file_download(get_material_for_user(request.user, pk))


@require_POST
@permission_required("education.delete_material", get_material_for_user)
def material_delete(request, material):
    materials_services.material_delete(material=material, actor=request.user)
    messages.success(request, _("The material is deleted."))
    return redirect("education:session_detail", material.session_id)
