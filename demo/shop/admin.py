"""Admin of the shop, as a shop's own developers would set it up."""

from django.contrib import admin

from djai_dsl.admin_mixins import AskAboutMixin

from .models import (
    Category,
    Customer,
    Order,
    OrderItem,
    Payment,
    Product,
    Refund,
    SupportTicket,
)


@admin.register(Customer)
class CustomerAdmin(AskAboutMixin, admin.ModelAdmin):
    list_display = ("name", "email", "country", "city", "tier", "is_active", "signed_up_at")
    list_filter = ("tier", "is_active", "country")
    search_fields = ("name", "email", "city")
    date_hierarchy = "signed_up_at"
    # The token is a credential: staff may reset it in code, never read it in the admin.
    exclude = ("api_token",)


@admin.register(Category)
class CategoryAdmin(AskAboutMixin, admin.ModelAdmin):
    list_display = ("name", "parent")
    list_filter = ("parent",)
    search_fields = ("name",)
    list_select_related = ("parent",)


@admin.register(Product)
class ProductAdmin(AskAboutMixin, admin.ModelAdmin):
    list_display = ("name", "sku", "category", "price", "is_active", "created_at")
    list_filter = ("is_active", "category")
    search_fields = ("name", "sku")
    date_hierarchy = "created_at"
    list_select_related = ("category", "category__parent")


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    raw_id_fields = ("product",)
    extra = 0


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0


@admin.register(Order)
class OrderAdmin(AskAboutMixin, admin.ModelAdmin):
    list_display = ("id", "customer", "status", "total", "shipping_country", "created_at")
    list_filter = ("status", "shipping_country")
    search_fields = ("=id", "customer__name", "customer__email")
    date_hierarchy = "created_at"
    raw_id_fields = ("customer",)
    list_select_related = ("customer",)
    inlines = (OrderItemInline, PaymentInline, RefundInline)


@admin.register(OrderItem)
class OrderItemAdmin(AskAboutMixin, admin.ModelAdmin):
    list_display = ("id", "order", "product", "quantity", "unit_price", "line_total")
    search_fields = ("=order__id", "product__name", "product__sku")
    raw_id_fields = ("order", "product")
    list_select_related = ("product",)


@admin.register(Payment)
class PaymentAdmin(AskAboutMixin, admin.ModelAdmin):
    list_display = ("id", "order", "amount", "method", "status", "paid_at")
    list_filter = ("method", "status")
    search_fields = ("=order__id",)
    date_hierarchy = "paid_at"
    raw_id_fields = ("order",)


@admin.register(Refund)
class RefundAdmin(AskAboutMixin, admin.ModelAdmin):
    list_display = ("id", "order", "amount", "reason", "created_at")
    list_filter = ("reason",)
    search_fields = ("=order__id",)
    date_hierarchy = "created_at"
    raw_id_fields = ("order",)


@admin.register(SupportTicket)
class SupportTicketAdmin(AskAboutMixin, admin.ModelAdmin):
    list_display = ("id", "subject", "customer", "status", "priority", "assignee", "created_at")
    list_filter = ("status", "priority", "assignee")
    search_fields = ("subject", "customer__name", "customer__email")
    date_hierarchy = "created_at"
    raw_id_fields = ("customer",)
    list_select_related = ("customer", "assignee")
