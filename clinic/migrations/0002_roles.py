"""Create the role groups. Their permissions come from clinic.access, not from model perms."""

from django.db import migrations

ROLE_GROUPS = ["Front desk", "Clinician", "Medical staff", "Clinic admin", "Integration"]


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLE_GROUPS:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("clinic", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
