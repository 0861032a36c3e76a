from django.contrib import admin

from accounts.audit import AuditedAdminMixin

from .models import HelpArticle


@admin.register(HelpArticle)
class HelpArticleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("question", "topic", "order", "published", "updated_at")
    list_filter = ("topic", "published")
    list_editable = ("order", "published")
    search_fields = ("question", "answer")
