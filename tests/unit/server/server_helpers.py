"""Helpers shared by the server tests."""

from fastapi.testclient import TestClient

CSV = "x,color,label\n" + "".join(
    f"{i / 10},{'red' if i % 3 else 'blue'},{'yes' if i % 2 else 'no'}\n" for i in range(60)
)


def upload(client: TestClient, text: str = CSV, name: str = "train.csv") -> str:
    response = client.post("/api/v1/datasets", files={"file": (name, text.encode())})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])
