"""People's first and last names, and their nicknames, for users and contacts."""

from __future__ import annotations

import numpy as np

FIRST_NAMES = np.array([
    "Laura", "Marc", "Núria", "Jordi", "Marta", "Pau", "Elena", "Sergi", "Anna", "David",
    "Carmen", "Javier", "Lucía", "Álvaro", "Sofía", "Pablo", "Irene", "Raúl", "Paula", "Iván",
    "Olga", "Dmitri", "Katarzyna", "Piotr", "Agnieszka", "Tomasz", "Ewa", "Marek", "Clara",
    "Hugo", "Inés", "Óscar", "Beatriz", "Andreu", "Montse", "Xavier", "Alba", "Joan", "Rocío",
    "Miguel",
])


LAST_NAMES = np.array([
    "García", "Martínez", "Puig", "Soler", "Ferrer", "Vidal", "López", "Sánchez", "Romero",
    "Navarro", "Torres", "Domínguez", "Vázquez", "Ramos", "Gil", "Serra", "Font", "Roca",
    "Casals", "Pons", "Nowak", "Kowalski", "Wiśniewski", "Ivanova", "Petrov", "Smirnova",
    "Morales", "Ortega", "Delgado", "Castro", "Rubio", "Molina", "Iglesias", "Cortés", "Bosch",
    "Mas", "Vila", "Costa", "Marín", "Herrera",
])


NICKNAMES = {"Francisco": "Paco", "Josep": "Pep", "Javier": "Javi", "Katarzyna": "Kasia",
             "Dmitri": "Dima", "Agnieszka": "Aga", "Montse": "Montserrat", "Xavier": "Xavi",
             "Beatriz": "Bea", "Miguel": "Migue", "Tomasz": "Tomek", "Elena": "Helena"}
