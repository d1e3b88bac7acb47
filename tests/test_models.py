"""djai's own models: append-only records, permissions, soft-deleted chats, migrations."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.db.models import ProtectedError

from djai_dsl.models import Chat, ChatEvent, ImmutableRecordError, Message, QueryLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat() -> Chat:
    owner = User.objects.create_user("owner")
    return Chat.objects.create(owner=owner)


@pytest.fixture
def records(chat: Chat) -> dict[str, object]:
    message = Message.objects.create(chat=chat, role="user", kind="question", content="hi")
    log = QueryLog.objects.create(
        chat=chat, user=chat.owner, trace_id="t" * 8, kind="message", route="answer"
    )
    event = ChatEvent.objects.create(chat=chat, actor=chat.owner, type="chat_created")
    return {"message": message, "log": log, "event": event}


@pytest.mark.parametrize("name", ["message", "log", "event"])
def test_saving_an_existing_record_raises(records: dict[str, object], name: str) -> None:
    record = records[name]
    with pytest.raises(ImmutableRecordError):
        record.save()  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["message", "log", "event"])
def test_deleting_a_record_raises(records: dict[str, object], name: str) -> None:
    with pytest.raises(ImmutableRecordError):
        records[name].delete()  # type: ignore[attr-defined]


@pytest.mark.parametrize("model", [Message, QueryLog, ChatEvent])
def test_queryset_update_and_delete_raise(records: dict[str, object], model: type) -> None:
    with pytest.raises(ImmutableRecordError):
        model.objects.all().update(trace_id="changed")
    with pytest.raises(ImmutableRecordError):
        model.objects.all().delete()
    with pytest.raises(ImmutableRecordError):
        model.objects.all().bulk_update(list(model.objects.all()), ["trace_id"])
    assert model.objects.count() == 1


def test_history_protects_its_chat_and_owner(records: dict[str, object], chat: Chat) -> None:
    with pytest.raises((ProtectedError, ImmutableRecordError)):
        chat.delete()
    with pytest.raises((ProtectedError, ImmutableRecordError)):
        chat.owner.delete()
    assert Message.objects.filter(chat=chat).exists()


def test_chat_is_mutable_and_soft_deleted(chat: Chat) -> None:
    chat.title = "Revenue"
    chat.save()
    assert Chat.objects.owned_by(chat.owner).get().title == "Revenue"
    Chat.objects.filter(pk=chat.pk).update(deleted_at=chat.created_at)
    assert not Chat.objects.owned_by(chat.owner).exists()
    assert Chat.objects.filter(pk=chat.pk).exists()


def test_permissions_exist() -> None:
    codenames = set(
        Permission.objects.filter(content_type__app_label="djai_dsl").values_list(
            "codename", flat=True
        )
    )
    assert {"use_assistant", "view_generated_code", "view_querylog"} <= codenames
    user = User.objects.create_user("u", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="use_assistant"))
    assert User.objects.get(pk=user.pk).has_perm("djai_dsl.use_assistant")


def test_migrations_are_up_to_date() -> None:
    out = StringIO()
    call_command("makemigrations", "djai_dsl", "--check", "--dry-run", stdout=out)
