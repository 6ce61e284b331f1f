"""URL routes of the shop."""

from django.urls import path

from . import views

urlpatterns = [
    path("products/", views.products),
    path("products/<int:product_id>/restock", views.restock),
    path("report/", views.report),
    path("products/new", views.create_product),
]
