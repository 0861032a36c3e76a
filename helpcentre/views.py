from django.shortcuts import render

from .selectors import help_articles, lenders_for_user

MAX_QUERY_LENGTH = 100


def help_centre(request):
    """The searchable FAQ: ?q= words; public, so the signed-out can find answers too."""
    query = request.GET.get("q", "")[:MAX_QUERY_LENGTH].strip()
    groups = help_articles(query=query)
    return render(
        request,
        "help.html",
        {
            "query": query,
            "groups": groups,
            "found": sum(len(group.articles) for group in groups),
            "lenders": lenders_for_user(request.user),
        },
    )
