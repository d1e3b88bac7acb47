import json

from tests.fakes import api, scripted, staff  # noqa: F401


def test_smoke(api):
    chat = api.new_chat()
    r = api.ask(chat, "from shop.order where created_at in previous month group by customer.country aggregate orders = count() sort orders desc")
    print(r.status_code, json.dumps(r.json(), indent=1)[:3000])
    r = api.ask(chat, "hello")
    print(r.status_code, r.json())
    r = api.get(f"/chats/{chat}/messages")
    print(r.status_code, json.dumps(r.json())[:1500])
