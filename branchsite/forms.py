"""Forms of the pages branchsite owns."""

from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.db.models import Q


class MemberPasswordResetForm(PasswordResetForm):
    """Password reset by the e-mail address on the member record.

    Accounts are linked to members, whose address lives on the Member; the login account's own
    e-mail field is usually empty. The reset mail goes to whichever of the two matches.
    """

    def get_users(self, email):
        wanted = email.casefold()
        users = (
            get_user_model()
            .objects.filter(Q(email__iexact=email) | Q(member__email__iexact=email), is_active=True)
            .select_related("member")
        )
        for user in users:
            if not user.has_usable_password():
                continue
            member = getattr(user, "member", None)
            for address in (member.email if member else "", user.email):
                if address and address.casefold() == wanted:
                    # Not user.email: the reset token hashes the stored address.
                    user._reset_address = address
                    yield user
                    break

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        to_email = getattr(context["user"], "_reset_address", to_email)
        super().send_mail(
            subject_template_name,
            email_template_name,
            context,
            from_email,
            to_email,
            html_email_template_name,
        )
