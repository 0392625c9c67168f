from django.http import HttpResponse
from django.urls import path


def dashboard(request):
    return HttpResponse("smsportal")


urlpatterns = [path("", dashboard, name="dashboard")]
