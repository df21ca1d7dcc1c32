def test_healthz_answers_with_json_when_the_database_answers(client, database_url):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["database"] == "ok"
    assert response.json["backend"] == database_url.split(":")[0].split("+")[0].replace(
        "postgresql", "postgresql"
    )
