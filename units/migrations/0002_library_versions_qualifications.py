import django.db.models.deletion
import django.db.models.functions.comparison
from django.db import migrations, models


def cross_references_to_codes(apps, schema_editor):
    # The list was one string on the unit; the only source so far is the City & Guilds workbook, whose numbers
    # these are, so it moves to the unit's City & Guilds number (or its only number when it has no other).
    UnitCode = apps.get_model("units", "UnitCode")
    for code in UnitCode.objects.select_related("unit", "awarding_body").order_by("pk"):
        numbers = [n.strip() for n in code.unit.cross_reference_units.split(",") if n.strip()]
        siblings = UnitCode.objects.filter(unit=code.unit).count()
        if numbers and (code.awarding_body.code == "CG" or siblings == 1):
            code.cross_reference_units = numbers
            code.save(update_fields=["cross_reference_units"])


def cross_references_to_units(apps, schema_editor):
    UnitCode = apps.get_model("units", "UnitCode")
    for code in UnitCode.objects.exclude(cross_reference_units=[]).select_related("unit"):
        code.unit.cross_reference_units = ", ".join(code.cross_reference_units)
        code.unit.save(update_fields=["cross_reference_units"])


class Migration(migrations.Migration):

    dependencies = [
        ('units', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='Qualification',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('slug', models.SlugField(max_length=100, unique=True)),
                ('family', models.SlugField(blank=True, help_text='The slug all versions of this qualification share.', max_length=100, null=True)),
                ('version', models.PositiveSmallIntegerField(default=1)),
                ('title', models.CharField(max_length=255)),
                ('level', models.PositiveSmallIntegerField(blank=True, null=True)),
                ('number', models.CharField(blank=True, help_text='Empty: not stated.', max_length=40, verbose_name="awarding body's qualification number")),
                ('total_minimum_credits', models.PositiveSmallIntegerField(blank=True, help_text='Empty: not stated.', null=True)),
            ],
            options={
                'ordering': ['title', 'version'],
            },
        ),
        migrations.CreateModel(
            name='QualificationGroup',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveSmallIntegerField(help_text="The group's place in the qualification, from 1.")),
                ('title', models.CharField(blank=True, help_text='Empty: not stated.', max_length=255)),
                ('kind', models.CharField(blank=True, choices=[('mandatory', 'Mandatory'), ('optional', 'Optional')], help_text='Empty: not stated.', max_length=20)),
                ('minimum_credits', models.PositiveSmallIntegerField(blank=True, help_text='Empty: not stated.', null=True)),
                ('minimum_units', models.PositiveSmallIntegerField(blank=True, help_text='Empty: not stated.', null=True)),
            ],
            options={
                'ordering': ['qualification', 'number'],
            },
        ),
        migrations.CreateModel(
            name='QualificationUnit',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveSmallIntegerField()),
                ('number', models.CharField(max_length=20)),
                ('title', models.CharField(blank=True, help_text='Empty: not stated.', max_length=255)),
                ('credit_value', models.PositiveSmallIntegerField(blank=True, help_text='Empty: not stated.', null=True)),
            ],
            options={
                'ordering': ['group', 'position'],
            },
        ),
        migrations.AlterModelOptions(
            name='unit',
            options={'ordering': ['title', 'version']},
        ),
        migrations.RemoveConstraint(
            model_name='unitcode',
            name='unitcode_unique_per_body',
        ),
        migrations.AddField(
            model_name='unitcode',
            name='cross_reference_units',
            field=models.JSONField(blank=True, default=list, help_text="Other units, by this awarding body's numbers, that the workbook says evidence could also count towards, in its order."),
        ),
        migrations.RunPython(cross_references_to_codes, cross_references_to_units),
        migrations.RemoveField(
            model_name='unit',
            name='cross_reference_units',
        ),
        migrations.AddField(
            model_name='unit',
            name='family',
            field=models.SlugField(blank=True, help_text="The slug all versions of this unit share (version 1's).", max_length=100, null=True),
        ),
        migrations.AddField(
            model_name='unit',
            name='version',
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.AddConstraint(
            model_name='unit',
            constraint=models.UniqueConstraint(django.db.models.functions.comparison.Coalesce('family', 'slug'), models.F('version'), name='unit_family_version_unique'),
        ),
        migrations.AddField(
            model_name='qualification',
            name='awarding_body',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='qualifications', to='units.awardingbody'),
        ),
        migrations.AddField(
            model_name='qualificationgroup',
            name='qualification',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='groups', to='units.qualification'),
        ),
        migrations.AddField(
            model_name='qualificationunit',
            name='group',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='units', to='units.qualificationgroup'),
        ),
        migrations.AddConstraint(
            model_name='qualification',
            constraint=models.UniqueConstraint(django.db.models.functions.comparison.Coalesce('family', 'slug'), models.F('version'), name='qualification_family_version_unique'),
        ),
        migrations.AddConstraint(
            model_name='qualificationgroup',
            constraint=models.UniqueConstraint(fields=('qualification', 'number'), name='qualification_group_unique'),
        ),
        migrations.AddConstraint(
            model_name='qualificationunit',
            constraint=models.UniqueConstraint(fields=('group', 'number'), name='qualification_unit_unique'),
        ),
    ]
