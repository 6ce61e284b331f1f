"""Views of the shop API."""

import json
import traceback

from django.http import JsonResponse
from rest_framework.decorators import api_view
from rest_framework.response import Response

from .models import Product


@api_view(["GET"])
def products(request):
    return Response([{"id": p.id, "name": p.name} for p in Product.objects.all()])


def restock(request, product_id):
    product = Product.objects.get(pk=product_id)
    product.stock += 10
    product.save()
    return JsonResponse({"stock": product.stock})


def report(request):
    try:
        return JsonResponse({"total": Product.objects.count()})
    except Exception:
        return JsonResponse({"error": traceback.format_exc()}, status=500)


@api_view(["POST"])
def create_product(request):
    product = Product.objects.create(**json.loads(request.body))
    return Response({"id": product.id}, status=201)
