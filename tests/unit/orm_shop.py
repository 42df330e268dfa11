"""SQLAlchemy ORM classes at module level, for tests that pickle their objects (a pickle names
a class by its import path): a customer and its orders, each order referring back to it."""

from __future__ import annotations

import sqlalchemy
from sqlalchemy import orm


class Base(orm.DeclarativeBase):
    pass


class Customer(Base):
    __tablename__ = "customers"
    id = sqlalchemy.Column(sqlalchemy.Integer, primary_key=True)
    name = sqlalchemy.Column(sqlalchemy.String)
    orders = orm.relationship("Order", lazy="selectin", back_populates="customer")


class Order(Base):
    __tablename__ = "orders"
    id = sqlalchemy.Column(sqlalchemy.Integer, primary_key=True)
    customer_id = sqlalchemy.Column(sqlalchemy.ForeignKey("customers.id"))
    customer = orm.relationship("Customer", back_populates="orders")
