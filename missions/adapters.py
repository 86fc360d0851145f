from allauth.account.adapter import DefaultAccountAdapter


class InvitationOnlyAccountAdapter(DefaultAccountAdapter):
    """Nobody signs up on their own: people join a mission by following an invitation."""

    def is_open_for_signup(self, request) -> bool:
        return False
