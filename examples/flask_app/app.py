"""A small Flask API with the weaknesses production code often ships with."""

import sqlite3

from flask import Flask, jsonify, request
from flask_cors import CORS

app = Flask(__name__)
app.config["SECRET_KEY"] = "s3cr3t-flask-key-do-not-share"
CORS(app, supports_credentials=True)


def get_db():
    return sqlite3.connect("notes.db")


@app.route("/notes")
def list_notes():
    rows = get_db().execute("SELECT id, body FROM notes").fetchall()
    return jsonify([{"id": r[0], "body": r[1]} for r in rows])


@app.route("/notes/<int:note_id>/delete")
def delete_note(note_id):
    db = get_db()
    db.execute("DELETE FROM notes WHERE id = ?", (note_id,))
    db.commit()
    return jsonify(deleted=note_id)


@app.route("/notes", methods=["POST"])
def create_note():
    try:
        body = request.get_json()["body"]
        db = get_db()
        db.execute("INSERT INTO notes (body) VALUES (?)", (body,))
        db.commit()
    except Exception as exc:
        return jsonify(error=str(exc)), 500
    return jsonify(created=True), 201


if __name__ == "__main__":
    app.run(host="0.0.0.0", debug=True)
