"""A small FastAPI service with the weaknesses production code often ships with."""

import os

import jwt
from fastapi import FastAPI, HTTPException
from fastapi.middleware.cors import CORSMiddleware

JWT_SECRET = os.environ.get("JWT_SECRET", "dev-secret-change-me")

app = FastAPI(title="orders", debug=True)
app.add_middleware(
    CORSMiddleware,
    allow_origins=["*"],
    allow_credentials=True,
    allow_methods=["*"],
)

ORDERS: dict[int, dict] = {}


@app.post("/orders")
async def create_order(order: dict):
    order_id = len(ORDERS) + 1
    ORDERS[order_id] = order
    return {"id": order_id}


@app.get("/orders/{order_id}")
async def read_order(order_id: int, token: str):
    try:
        jwt.decode(token, JWT_SECRET, algorithms=["HS256"])
        return ORDERS[order_id]
    except Exception as exc:
        raise HTTPException(status_code=500, detail=str(exc))
